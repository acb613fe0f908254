import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

export class WechatLoginDto {
  @ApiProperty({ description: 'The code from wx.login() (single use, valid 5 minutes)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  code: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'The refresh token from the last login or refresh (single use)' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{20,128}$/, { message: 'refreshToken is malformed' })
  refreshToken: string;
}
