import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, Matches, Max, MinLength, Min, ValidateIf } from 'class-validator';
import { ConfigValidationError, defineConfig, parseEnv, resolveProfile, ToBoolean, ToInteger } from '@app/config';

const inProduction = (env: AuthEnv): boolean => resolveProfile(env) === 'production';

/**
 * Which signed-in routes need a signed request (README: request signing): `all` of them;
 * `sensitive`, the @Signed() ones (phone binding, open-data decrypt), the default; or `off`, none
 * (@Signed() is not checked: for a client that cannot sign yet, never for production traffic).
 */
export const SIGNING_MODES = ['all', 'sensitive', 'off'] as const;
export type SigningMode = (typeof SIGNING_MODES)[number];

/**
 * Whether a signed-in route needs a signed request. `markedSigned` is @Signed() on the method: the
 * body hashing a signature needs is Fastify route config, which exists per method, so a mark on a
 * class would check signatures over bodies nobody hashed.
 */
export function signsRoute(mode: SigningMode, markedSigned: boolean): boolean {
  return mode === 'all' || (mode === 'sensitive' && markedSigned);
}

class AuthEnv {
  NODE_ENV?: string;
  DB_HOST?: string;
  REDIS_URL?: string;

  @ValidateIf((env: AuthEnv) => inProduction(env) || Boolean(env.AUTH_JWT_SECRET))
  @IsNotEmpty({ message: 'AUTH_JWT_SECRET must be set in the production profile (32+ random characters)' })
  @MinLength(32, { message: 'AUTH_JWT_SECRET must be at least 32 characters' })
  AUTH_JWT_SECRET?: string;

  /** The secret before the last rotation: tokens it signed stay valid until they expire (docs/security.md). */
  @IsOptional()
  @MinLength(32, { message: 'AUTH_JWT_PREVIOUS_SECRET must be at least 32 characters' })
  AUTH_JWT_PREVIOUS_SECRET?: string;

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
  @IsIn(SIGNING_MODES, { message: `AUTH_SIGNING must be one of ${SIGNING_MODES.join(', ')}` })
  AUTH_SIGNING?: SigningMode;

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

  /** AUTH_SIGNING's former name: true = all, false = sensitive (what it meant). */
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
  /** The key before the last rotation, still accepted for tokens that name it (kid); null when none. */
  jwtPreviousSecret: string | null;
  accessTtlS: number;
  refreshTtlS: number;
  /**
   * Absolute session lifetime (s) from sign-in, per kind of account: refreshing never extends a
   * session past it, then the client signs in again.
   */
  sessionMaxAgeS: { user: number; admin: number };
  /** Redis key prefix for sessions and refresh tokens. */
  keyPrefix: string;
  /** Which signed-in routes need a signed request: all, the @Signed() ones, or none. */
  signing: SigningMode;
  /** Live sessions per account; signing in once more ends the oldest. */
  maxSessionsPerAccount: number;
}

export function loadAuthConfig(env: NodeJS.ProcessEnv): AuthConfig {
  const parsed = parseEnv(AuthEnv, env);
  if (parsed.AUTH_SIGNING !== undefined && parsed.AUTH_SIGNING_REQUIRED !== undefined) {
    throw new ConfigValidationError(['AUTH_SIGNING_REQUIRED is the former name of AUTH_SIGNING: set only AUTH_SIGNING (all | sensitive | off)']);
  }
  if (parsed.AUTH_JWT_PREVIOUS_SECRET && (!parsed.AUTH_JWT_SECRET || parsed.AUTH_JWT_PREVIOUS_SECRET === parsed.AUTH_JWT_SECRET)) {
    throw new ConfigValidationError(['AUTH_JWT_PREVIOUS_SECRET needs a different AUTH_JWT_SECRET: it is the secret that one replaced']);
  }
  const legacySigning = parsed.AUTH_SIGNING_REQUIRED === undefined ? undefined : parsed.AUTH_SIGNING_REQUIRED ? 'all' : 'sensitive';
  return {
    jwtSecret: parsed.AUTH_JWT_SECRET || null,
    jwtPreviousSecret: parsed.AUTH_JWT_PREVIOUS_SECRET || null,
    accessTtlS: parsed.AUTH_ACCESS_TTL_S ?? 900,
    refreshTtlS: parsed.AUTH_REFRESH_TTL_S ?? 30 * 86_400,
    sessionMaxAgeS: { user: parsed.AUTH_SESSION_MAX_AGE_S ?? 30 * 86_400, admin: parsed.AUTH_ADMIN_SESSION_MAX_AGE_S ?? 12 * 3600 },
    keyPrefix: parsed.AUTH_KEY_PREFIX ?? 'auth:',
    signing: parsed.AUTH_SIGNING ?? legacySigning ?? 'sensitive',
    maxSessionsPerAccount: parsed.AUTH_MAX_SESSIONS_PER_ACCOUNT ?? 10,
  };
}

export const authConfig = defineConfig('auth', loadAuthConfig);
