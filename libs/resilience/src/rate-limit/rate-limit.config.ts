import { IsBoolean, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { defineConfig, parseEnv, ToBoolean, ToInteger, ToList } from '@app/config';

class RateLimitEnv {
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  RATE_LIMIT_ENABLED?: boolean;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_DEFAULT_LIMIT?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(100)
  @Max(86_400_000)
  RATE_LIMIT_DEFAULT_WINDOW_MS?: number;

  @IsOptional()
  @ToList()
  RATE_LIMIT_EXEMPT_PREFIXES?: string[];

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_LOGIN_PER_MINUTE?: number;

  @IsOptional()
  @Matches(/^[\w:.-]{1,64}$/, { message: 'RATE_LIMIT_KEY_PREFIX must be 1-64 characters of A-Z a-z 0-9 _ : . -' })
  RATE_LIMIT_KEY_PREFIX?: string;
}

export interface RateLimitConfig {
  enabled: boolean;
  /** Requests per window per caller per route, unless a route says otherwise. */
  defaultLimit: number;
  defaultWindowMs: number;
  /** Paths never limited: probes and scrapes must get through during an attack. */
  exemptPrefixes: string[];
  /** Redis key prefix; instances that must share limits use the same one. */
  keyPrefix: string;
}

export function loadRateLimitConfig(env: NodeJS.ProcessEnv): RateLimitConfig {
  const parsed = parseEnv(RateLimitEnv, env);
  return {
    enabled: parsed.RATE_LIMIT_ENABLED ?? true,
    defaultLimit: parsed.RATE_LIMIT_DEFAULT_LIMIT ?? 100,
    defaultWindowMs: parsed.RATE_LIMIT_DEFAULT_WINDOW_MS ?? 1000,
    exemptPrefixes: parsed.RATE_LIMIT_EXEMPT_PREFIXES ?? ['/health/', '/metrics', '/docs'],
    keyPrefix: parsed.RATE_LIMIT_KEY_PREFIX ?? 'rl:',
  };
}

export const rateLimitConfig = defineConfig('rateLimit', loadRateLimitConfig);
