import { resolve } from 'node:path';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { defineConfig } from './define-config';
import { ConfigValidationError, parseEnv, ToBoolean, ToInteger } from './env-parsing';
import { productionSafeguardsApply, resolveProfile, RuntimeProfile } from './profile';

/**
 * What one process of the same build does: `all` serves HTTP and runs the job workers and the
 * outbox relay; `api` only serves HTTP (it still enqueues jobs and writes outbox rows); `worker`
 * runs the workers and the relay and serves nothing but health and metrics.
 */
export const APP_ROLES = ['all', 'api', 'worker'] as const;
export type AppRole = (typeof APP_ROLES)[number];

class AppEnv {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV?: string;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

  @IsOptional()
  @IsString()
  HOST?: string;

  @IsOptional()
  @IsString()
  DATA_DIR?: string;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_DRAIN_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(0)
  @Max(120_000)
  SHUTDOWN_DELAY_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(100)
  @Max(120_000)
  SHUTDOWN_FORCE_EXIT_MS?: number;

  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  DOCS_ENABLED?: boolean;

  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  ENABLE_TEST_ROUTES?: boolean;

  @IsOptional()
  @IsIn(APP_ROLES, { message: `APP_ROLE must be one of ${APP_ROLES.join(', ')}` })
  APP_ROLE?: AppRole;
}

export interface AppConfig {
  profile: RuntimeProfile;
  nodeEnv: 'development' | 'production' | 'test';
  /** The production profile with any NODE_ENV but `test` (profile.ts productionSafeguardsApply). */
  productionSafeguards: boolean;
  port: number;
  /** Bind address: 127.0.0.1 in the embedded profile (a laptop's SQLite data is not for the LAN), else 0.0.0.0. */
  host: string;
  /** Absolute path of the folder the embedded profile keeps its SQLite file in. */
  dataDir: string;
  /** After SIGTERM, keep serving (readiness already 503) this long so load balancers stop routing here. */
  shutdownDelayMs: number;
  /** Upper bound on how long in-flight requests may run after SIGTERM. */
  shutdownDrainMs: number;
  /**
   * After the delay and the drain, most time closing the server, the pool and Redis may take: then
   * the process exits anyway, with code 1. A stalled database never answers the pool's goodbye.
   */
  shutdownForceExitMs: number;
  docsEnabled: boolean;
  /** Diagnostics routes used by the e2e suite (slow request, echo, crash); never in production. */
  testRoutesEnabled: boolean;
  role: AppRole;
}

export function loadAppConfig(env: NodeJS.ProcessEnv): AppConfig {
  const parsed = parseEnv(AppEnv, env);
  const nodeEnv = (parsed.NODE_ENV ?? 'development') as AppConfig['nodeEnv'];
  const profile = resolveProfile(env);
  const productionSafeguards = productionSafeguardsApply(env);
  if (productionSafeguards && parsed.ENABLE_TEST_ROUTES) {
    throw new ConfigValidationError([
      `ENABLE_TEST_ROUTES must not be true in the production profile (NODE_ENV=${nodeEnv}); only the e2e suite (NODE_ENV=test) mounts them`,
    ]);
  }
  const role = parsed.APP_ROLE ?? 'all';
  if (profile === 'embedded' && role !== 'all') {
    // the embedded profile's queue lives in one process: an api process would enqueue jobs no worker ever sees
    throw new ConfigValidationError([`APP_ROLE=${role} needs the production profile (Redis); the embedded profile runs everything in one process`]);
  }
  return {
    profile,
    nodeEnv,
    productionSafeguards,
    port: parsed.PORT ?? 3000,
    host: parsed.HOST ?? (profile === 'embedded' ? '127.0.0.1' : '0.0.0.0'),
    dataDir: resolve(parsed.DATA_DIR ?? 'data'),
    shutdownDelayMs: parsed.SHUTDOWN_DELAY_MS ?? 0,
    shutdownDrainMs: parsed.SHUTDOWN_DRAIN_MS ?? 10_000,
    shutdownForceExitMs: parsed.SHUTDOWN_FORCE_EXIT_MS ?? 5_000,
    docsEnabled: parsed.DOCS_ENABLED ?? !productionSafeguards,
    testRoutesEnabled: parsed.ENABLE_TEST_ROUTES ?? false,
    role,
  };
}

export const appConfig = defineConfig('app', loadAppConfig);
