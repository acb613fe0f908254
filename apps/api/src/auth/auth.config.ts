import { IsBoolean, IsInt, IsNotEmpty, IsOptional, Matches, Max, MinLength, Min, ValidateIf } from 'class-validator';
import { defineConfig, parseEnv, resolveProfile, ToBoolean, ToInteger } from '@app/config';

const inProduction = (env: AuthEnv): boolean => resolveProfile(env) === 'production';

class AuthEnv {
  NODE_ENV?: string;
  DB_HOST?: string;
  REDIS_URL?: string;

  @ValidateIf((env: AuthEnv) => inProduction(env) || Boolean(env.AUTH_JWT_SECRET))
  @IsNotEmpty({ message: 'AUTH_JWT_SECRET must be set in the production profile (32+ random characters)' })
  @MinLength(32, { message: 'AUTH_JWT_SECRET must be at least 32 characters' })
  AUTH_JWT_SECRET?: string;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(60)
  @Max(86_400)
  AUTH_ACCESS_TTL_S?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(3600)
  @Max(31_536_000)
  AUTH_REFRESH_TTL_S?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  AUTH_SESSION_MAX_AGE_S?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  AUTH_ADMIN_SESSION_MAX_AGE_S?: number;

  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  AUTH_SIGNING_REQUIRED?: boolean;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(1000)
  AUTH_MAX_SESSIONS_PER_ACCOUNT?: number;

  @IsOptional()
  @Matches(/^[\w:.-]{1,64}$/, { message: 'AUTH_KEY_PREFIX must be 1-64 characters of A-Z a-z 0-9 _ : . -' })
  AUTH_KEY_PREFIX?: string;
}

export interface AuthConfig {
  /** HMAC key for access tokens; null in the embedded profile without one (a random key per start). */
  jwtSecret: string | null;
  accessTtlS: number;
  refreshTtlS: number;
  /**
   * Absolute session lifetime (s) from sign-in, per kind of account: refreshing never extends a
   * session past it, then the client signs in again.
   */
  sessionMaxAgeS: { user: number; admin: number };
  /** Redis key prefix for sessions and refresh tokens. */
  keyPrefix: string;
  /** Every signed-in route needs a signed request, not only the @Signed() ones. */
  signingRequired: boolean;
  /** Live sessions per account; signing in once more ends the oldest. */
  maxSessionsPerAccount: number;
}

export function loadAuthConfig(env: NodeJS.ProcessEnv): AuthConfig {
  const parsed = parseEnv(AuthEnv, env);
  return {
    jwtSecret: parsed.AUTH_JWT_SECRET || null,
    accessTtlS: parsed.AUTH_ACCESS_TTL_S ?? 900,
    refreshTtlS: parsed.AUTH_REFRESH_TTL_S ?? 30 * 86_400,
    sessionMaxAgeS: { user: parsed.AUTH_SESSION_MAX_AGE_S ?? 30 * 86_400, admin: parsed.AUTH_ADMIN_SESSION_MAX_AGE_S ?? 12 * 3600 },
    keyPrefix: parsed.AUTH_KEY_PREFIX ?? 'auth:',
    signingRequired: parsed.AUTH_SIGNING_REQUIRED ?? false,
    maxSessionsPerAccount: parsed.AUTH_MAX_SESSIONS_PER_ACCOUNT ?? 10,
  };
}

export const authConfig = defineConfig('auth', loadAuthConfig);
