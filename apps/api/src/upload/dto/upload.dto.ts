import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { IsCleanText } from '@app/http';
import { UPLOAD_PURPOSES, type UploadPurpose } from '../upload-purposes';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The multipart form of POST /uploads, for the OpenAPI document (the body is read as a stream, not through this class). */
export class UploadFormDto {
  @ApiProperty({ enum: UPLOAD_PURPOSES, description: 'Before the file part' })
  @IsIn(UPLOAD_PURPOSES)
  purpose: UploadPurpose;

  @ApiProperty({ type: 'string', format: 'binary', description: 'One file; its type is read from its bytes' })
  file: unknown;
}

export class ListUploadsQueryDto {
  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  pageSize?: number;
}

export class FileIdParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsString()
  @Matches(UUID, { message: 'id must be a file id' })
  @IsCleanText()
  id: string;
}

export class DownloadQueryDto {
  @ApiPropertyOptional({ description: 'A width variant of an image, from UPLOAD_VARIANT_WIDTHS (default 200, 400, 800)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(4096)
  w?: number;

  @ApiPropertyOptional({ description: 'Signed link: expiry, unix seconds' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  expires?: number;

  @ApiPropertyOptional({ description: 'Signed link: signature' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,128}$/)
  @IsCleanText()
  sig?: string;
}
