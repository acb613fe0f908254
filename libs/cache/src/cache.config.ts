import { Transform } from 'class-transformer';
import { IsInt, IsNumber, IsOptional, Matches, Max, Min } from 'class-validator';
import { defineConfig, parseEnv, ToInteger } from '@app/config';

// a non-numeric string stays a string so @IsNumber names the variable
const ToNumber = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value,
  );

class CacheEnv {
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  CACHE_LOCAL_MAX_ENTRIES?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1024)
  @Max(4 * 1024 ** 3)
  CACHE_LOCAL_MAX_BYTES?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  CACHE_LOCAL_TTL_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(30 * 86_400_000)
  CACHE_DEFAULT_TTL_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(86_400_000)
  CACHE_NULL_TTL_MS?: number;

  @IsOptional()
  @ToNumber()
  @IsNumber({}, { message: 'CACHE_TTL_JITTER must be a ratio such as 0.1' })
  @Min(0)
  @Max(0.9)
  CACHE_TTL_JITTER?: number;

  @IsOptional()
  @Matches(/^[\w:.-]{1,64}$/, { message: 'CACHE_KEY_PREFIX must be 1-64 characters of A-Z a-z 0-9 _ : . -' })
  CACHE_KEY_PREFIX?: string;
}

export interface CacheConfig {
  localMaxEntries: number;
  /** Budget for the in-process level, counted as the UTF-8 size of each value's JSON. */
  localMaxBytes: number;
  /**
   * Longest a local copy is served without asking Redis: the staleness bound when an
   * invalidation message is lost. 0 turns the in-process level off (Redis only).
   */
  localTtlMs: number;
  defaultTtlMs: number;
  /** TTL for null and empty results, so a flood of lookups for missing ids reaches the DB once. */
  nullTtlMs: number;
  /** Each Redis TTL is shortened by a random share up to this, so keys filled together expire apart. */
  ttlJitter: number;
  /** Redis key and channel prefix; instances that share a cache use the same one. */
  keyPrefix: string;
}

export function loadCacheConfig(env: NodeJS.ProcessEnv): CacheConfig {
  const parsed = parseEnv(CacheEnv, env);
  return {
    localMaxEntries: parsed.CACHE_LOCAL_MAX_ENTRIES ?? 10_000,
    localMaxBytes: parsed.CACHE_LOCAL_MAX_BYTES ?? 32 * 1024 ** 2,
    localTtlMs: parsed.CACHE_LOCAL_TTL_MS ?? 5_000,
    defaultTtlMs: parsed.CACHE_DEFAULT_TTL_MS ?? 300_000,
    nullTtlMs: parsed.CACHE_NULL_TTL_MS ?? 30_000,
    ttlJitter: parsed.CACHE_TTL_JITTER ?? 0.1,
    keyPrefix: parsed.CACHE_KEY_PREFIX ?? 'cache:',
  };
}

export const cacheConfig = defineConfig('cache', loadCacheConfig);
