import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { IsCleanText, Omittable } from '@app/http';

export class WechatLoginDto {
  @ApiProperty({ description: 'The code from wx.login() (single use, valid 5 minutes)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  @IsCleanText()
  code: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'The refresh token from the last login or refresh (single use)' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{20,128}$/, { message: 'refreshToken is malformed' })
  @IsCleanText()
  refreshToken: string;
}

export class WechatDecryptDto {
  @ApiProperty({ description: 'base64 encryptedData from a WeChat open-data callback' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(65_536)
  @IsCleanText()
  encryptedData: string;

  @ApiProperty({ description: 'base64 iv from the same callback' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  @IsCleanText()
  iv: string;

  @ApiPropertyOptional({ description: 'rawData from wx.getUserInfo; checked against signature when given' })
  @Omittable()
  @IsString()
  @MaxLength(65_536)
  @IsCleanText()
  rawData?: string;

  @ApiPropertyOptional({ description: 'sha1(rawData + session_key), hex; required with rawData' })
  @ValidateIf((dto: WechatDecryptDto) => dto.rawData !== undefined || dto.signature !== undefined)
  @IsString()
  @Matches(/^[0-9a-f]{40}$/i, { message: 'signature must be a 40-character hex sha1' })
  @IsCleanText()
  signature?: string;
}
