import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsUrl, Max, Min, ValidateIf } from 'class-validator';
import { ConfigValidationError, defineConfig, parseEnv, productionSafeguardsApply, ToBoolean, ToInteger } from '@app/config';
import type { StorageDriverName } from './storage-driver';

const usesS3 = (env: StorageEnv): boolean => env.STORAGE_DRIVER === 's3';

class StorageEnv {
  NODE_ENV?: string;
  DB_HOST?: string;
  REDIS_URL?: string;

  @IsOptional()
  @IsIn(['local', 's3'], { message: 'STORAGE_DRIVER must be local or s3' })
  STORAGE_DRIVER?: StorageDriverName;

  @IsOptional()
  @IsNotEmpty()
  STORAGE_LOCAL_DIR?: string;

  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  STORAGE_ALLOW_LOCAL_IN_PRODUCTION?: boolean;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(100)
  @Max(120_000)
  STORAGE_TIMEOUT_MS?: number;

  @ValidateIf(usesS3)
  @IsNotEmpty({ message: 'S3_BUCKET must be set when STORAGE_DRIVER=s3' })
  S3_BUCKET?: string;

  @IsOptional()
  @IsNotEmpty()
  S3_REGION?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }, { message: 'S3_ENDPOINT must be an http(s) URL' })
  S3_ENDPOINT?: string;

  @IsOptional()
  S3_ACCESS_KEY_ID?: string;

  @IsOptional()
  S3_SECRET_ACCESS_KEY?: string;

  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  S3_FORCE_PATH_STYLE?: boolean;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(5)
  @Max(100)
  S3_PART_SIZE_MB?: number;
}

export interface StorageConfig {
  driver: StorageDriverName;
  /** Absolute or relative to the working directory. */
  localDir: string;
  /** STORAGE_TIMEOUT_MS: the `storage` circuit's timeout for one request to the bucket (one part of a multipart upload). */
  timeoutMs: number;
  s3: {
    bucket: string;
    region: string;
    endpoint: string;
    accessKeyId: string;
    secretAccessKey: string;
    forcePathStyle: boolean;
    partSizeBytes: number;
  };
}

export function loadStorageConfig(env: NodeJS.ProcessEnv): StorageConfig {
  const parsed = parseEnv(StorageEnv, env);
  const driver = parsed.STORAGE_DRIVER ?? 'local';
  // pods lose their disk with them: a production deployment stores in a bucket unless told otherwise on purpose
  if (driver === 'local' && productionSafeguardsApply(env) && parsed.STORAGE_ALLOW_LOCAL_IN_PRODUCTION !== true) {
    throw new ConfigValidationError([
      'STORAGE_DRIVER=local is refused in the production profile (a pod loses its disk): set STORAGE_DRIVER=s3, ' +
        'or STORAGE_ALLOW_LOCAL_IN_PRODUCTION=true for a single machine with a persistent STORAGE_LOCAL_DIR',
    ]);
  }
  if ((parsed.S3_ACCESS_KEY_ID ?? '') !== '' && (parsed.S3_SECRET_ACCESS_KEY ?? '') === '') {
    throw new ConfigValidationError(['S3_SECRET_ACCESS_KEY must be set with S3_ACCESS_KEY_ID']);
  }
  return {
    driver,
    localDir: parsed.STORAGE_LOCAL_DIR ?? './data/uploads',
    timeoutMs: parsed.STORAGE_TIMEOUT_MS ?? 30_000,
    s3: {
      bucket: parsed.S3_BUCKET ?? '',
      region: parsed.S3_REGION ?? 'us-east-1',
      endpoint: parsed.S3_ENDPOINT ?? '',
      accessKeyId: parsed.S3_ACCESS_KEY_ID ?? '',
      secretAccessKey: parsed.S3_SECRET_ACCESS_KEY ?? '',
      forcePathStyle: parsed.S3_FORCE_PATH_STYLE ?? false,
      partSizeBytes: (parsed.S3_PART_SIZE_MB ?? 5) * 1024 * 1024,
    },
  };
}

export const storageConfig = defineConfig('storage', loadStorageConfig);
