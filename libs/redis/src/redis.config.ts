import { IsInt, IsNotEmpty, IsOptional, Matches, Max, Min, ValidateIf } from 'class-validator';
import { defineConfig, parseEnv, resolveProfile, ToInteger } from '@app/config';

class RedisEnv {
  NODE_ENV?: string;
  DB_HOST?: string;

  @ValidateIf((env: RedisEnv) => resolveProfile(env) === 'production')
  @IsNotEmpty({ message: 'REDIS_URL must be set in the production profile (e.g. redis://127.0.0.1:6379)' })
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must start with redis:// or rediss://' })
  REDIS_URL?: string;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(100)
  @Max(60_000)
  REDIS_CONNECT_TIMEOUT_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(10)
  @Max(60_000)
  REDIS_COMMAND_TIMEOUT_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(100)
  @Max(60_000)
  REDIS_CIRCUIT_COOLDOWN_MS?: number;
}

/** `url: null` is the embedded profile: in-process stand-ins instead of Redis. */
export interface RedisConfig {
  url: string | null;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /**
   * After a command timed out or failed, how long every caller stops asking Redis (the 'redis'
   * circuit is open) before one background PING tries it again (libs/resilience RedisCircuit).
   */
  circuitCooldownMs: number;
}

export function loadRedisConfig(env: NodeJS.ProcessEnv): RedisConfig {
  const parsed = parseEnv(RedisEnv, env);
  return {
    url: resolveProfile(env) === 'production' ? (parsed.REDIS_URL as string) : null,
    connectTimeoutMs: parsed.REDIS_CONNECT_TIMEOUT_MS ?? 2_000,
    commandTimeoutMs: parsed.REDIS_COMMAND_TIMEOUT_MS ?? 1_000,
    circuitCooldownMs: parsed.REDIS_CIRCUIT_COOLDOWN_MS ?? 1_000,
  };
}

export const redisConfig = defineConfig('redis', loadRedisConfig);
