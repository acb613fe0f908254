import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IntegerFromQuery, IsCleanText, Omittable, PageQueryDto } from '@app/http';
import { DIRECT_UPLOAD_TYPES, UPLOAD_PURPOSES, type UploadPurpose } from '../upload-purposes';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The multipart form of POST /uploads, for the OpenAPI document (the body is read as a stream, not through this class). */
export class UploadFormDto {
  @ApiProperty({ enum: UPLOAD_PURPOSES, description: 'Best before the file part (refusals then come while the bytes arrive); after it is accepted too' })
  @IsIn(UPLOAD_PURPOSES)
  purpose: UploadPurpose;

  @ApiProperty({ type: 'string', format: 'binary', description: 'One file; its type is read from its bytes' })
  file: unknown;
}

/** `?page=&pageSize=` of the caller's own files. */
export class ListUploadsQueryDto extends PageQueryDto {}

export class FileIdParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsString()
  @Matches(UUID, { message: 'id must be a file id' })
  @IsCleanText()
  id: string;
}

export class DownloadQueryDto {
  @ApiPropertyOptional({ description: 'A width variant of an image, from UPLOAD_VARIANT_WIDTHS (default 200, 400, 800)' })
  @Omittable()
  @IntegerFromQuery()
  @IsInt()
  @Min(1)
  @Max(4096)
  w?: number;

  // a link altered in any way is 403 (issue 18), so the two link fields are checked by the signature, not refused here as 400
  @ApiPropertyOptional({ description: 'Signed link: expiry, unix seconds' })
  @Omittable()
  @IsString()
  @MaxLength(32)
  @IsCleanText()
  expires?: string;

  @ApiPropertyOptional({ description: 'Signed link: signature' })
  @Omittable()
  @IsString()
  @MaxLength(256)
  @IsCleanText()
  sig?: string;
}

/** POST /uploads/presign: what the client is about to upload straight to the bucket. */
export class PresignUploadDto {
  @ApiProperty({ enum: UPLOAD_PURPOSES })
  @IsIn(UPLOAD_PURPOSES)
  purpose: UploadPurpose;

  @ApiProperty({ description: 'Exact size in bytes (the upper bound of the signed policy)' })
  @IsInt()
  @Min(1)
  @Max(512 * 1024 * 1024)
  size: number;

  @ApiProperty({ enum: DIRECT_UPLOAD_TYPES, description: 'Content-Type the upload will carry (checked against the bytes on complete)' })
  @IsIn(DIRECT_UPLOAD_TYPES)
  mime: string;

  @ApiPropertyOptional({ description: 'The original file name (kept, sanitised, as metadata)' })
  @Omittable()
  @IsString()
  @MaxLength(255)
  @IsCleanText()
  name?: string;
}
