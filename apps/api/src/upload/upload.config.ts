import { randomBytes } from 'node:crypto';
import { IsInt, IsNotEmpty, IsOptional, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { ConfigValidationError, defineConfig, parseEnv, productionSafeguardsApply, ToInteger, ToList } from '@app/config';

const MB = 1024 * 1024;

class UploadEnv {
  NODE_ENV?: string;
  DB_HOST?: string;
  REDIS_URL?: string;

  @IsOptional() @ToInteger() @IsInt() @Min(1024) @Max(512 * MB)
  UPLOAD_MAX_IMAGE_BYTES?: number;

  @IsOptional() @ToInteger() @IsInt() @Min(1024) @Max(512 * MB)
  UPLOAD_MAX_ATTACHMENT_BYTES?: number;

  @IsOptional() @ToInteger() @IsInt() @Min(1) @Max(32)
  UPLOAD_MAX_FIELDS?: number;

  @IsOptional() @ToInteger() @IsInt() @Min(16) @Max(64 * 1024)
  UPLOAD_MAX_FIELD_BYTES?: number;

  @IsOptional() @ToInteger() @IsInt() @Min(1) @Max(200)
  UPLOAD_MAX_PART_HEADERS?: number;

  @IsOptional() @ToInteger() @IsInt() @Min(1_000_000) @Max(1_000_000_000)
  UPLOAD_MAX_PIXELS?: number;

  @IsOptional() @ToInteger() @IsInt() @Min(0)
  UPLOAD_QUOTA_BYTES?: number;

  @ValidateIf((env: UploadEnv) => productionSafeguardsApply(env) || env.UPLOAD_URL_SECRET !== undefined)
  @IsNotEmpty({ message: 'UPLOAD_URL_SECRET must be set in the production profile (32+ random characters; signs private download links)' })
  @MinLength(32, { message: 'UPLOAD_URL_SECRET must be at least 32 characters' })
  UPLOAD_URL_SECRET?: string;

  @IsOptional() @ToInteger() @IsInt() @Min(10) @Max(7 * 86_400)
  UPLOAD_SIGNED_URL_TTL_S?: number;

  @IsOptional() @ToList() @Matches(/^\d{2,4}$/, { each: true, message: 'UPLOAD_VARIANT_WIDTHS must be widths of 16-4096 pixels, comma-separated' })
  UPLOAD_VARIANT_WIDTHS?: string[];

  @IsOptional() @ToInteger() @IsInt() @Min(60) @Max(30 * 86_400)
  UPLOAD_ORPHAN_AGE_S?: number;

  @IsOptional() @ToInteger() @IsInt() @Min(10) @Max(86_400)
  UPLOAD_SWEEP_EVERY_S?: number;
}

export interface UploadConfig {
  maxImageBytes: number;
  maxAttachmentBytes: number;
  /** busboy's limits (its defaults are unlimited): fields besides the file, bytes per field, headers per part. */
  maxFields: number;
  maxFieldBytes: number;
  maxPartHeaders: number;
  /** sharp's limitInputPixels: a decompression bomb is refused before it is decoded (422). */
  maxPixels: number;
  /** Bytes one owner may keep stored (0: no limit). */
  quotaBytes: number;
  /** HMAC key of signed download links. Generated per process when unset outside production. */
  urlSecret: string;
  signedUrlTtlS: number;
  variantWidths: number[];
  /** Objects without a committed files row older than this are removed by the sweeper. */
  orphanAgeMs: number;
  sweepEveryMs: number;
}

export function loadUploadConfig(env: NodeJS.ProcessEnv): UploadConfig {
  const parsed = parseEnv(UploadEnv, env);
  const variantWidths = [...new Set((parsed.UPLOAD_VARIANT_WIDTHS ?? ['200', '400', '800']).map(Number))].sort((a, b) => a - b);
  if (variantWidths.length > 8 || variantWidths.some((width) => width < 16 || width > 4096)) {
    throw new ConfigValidationError(['UPLOAD_VARIANT_WIDTHS must be at most 8 widths of 16-4096 pixels']);
  }
  return {
    maxImageBytes: parsed.UPLOAD_MAX_IMAGE_BYTES ?? 10 * MB,
    maxAttachmentBytes: parsed.UPLOAD_MAX_ATTACHMENT_BYTES ?? 20 * MB,
    maxFields: parsed.UPLOAD_MAX_FIELDS ?? 4,
    maxFieldBytes: parsed.UPLOAD_MAX_FIELD_BYTES ?? 1024,
    maxPartHeaders: parsed.UPLOAD_MAX_PART_HEADERS ?? 20,
    maxPixels: parsed.UPLOAD_MAX_PIXELS ?? 40_000_000,
    quotaBytes: parsed.UPLOAD_QUOTA_BYTES ?? 500 * MB,
    // development only: links stop working at a restart and differ between processes
    urlSecret: parsed.UPLOAD_URL_SECRET ?? `dev-only-${randomBytes(24).toString('hex')}`,
    signedUrlTtlS: parsed.UPLOAD_SIGNED_URL_TTL_S ?? 3600,
    variantWidths,
    orphanAgeMs: (parsed.UPLOAD_ORPHAN_AGE_S ?? 3600) * 1000,
    sweepEveryMs: (parsed.UPLOAD_SWEEP_EVERY_S ?? 600) * 1000,
  };
}

export const uploadConfig = defineConfig('upload', loadUploadConfig);
