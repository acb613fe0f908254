import { join } from 'node:path';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, Min, ValidateIf } from 'class-validator';
import { defineConfig, loadAppConfig, parseEnv, productionSafeguardsApply, resolveProfile, ToBoolean, ToInteger } from '@app/config';

const inProduction = (env: DatabaseEnv): boolean => resolveProfile(env) === 'production';
const withSafeguards = (env: DatabaseEnv): boolean => productionSafeguardsApply(env);

class DatabaseEnv {
  NODE_ENV?: string;
  REDIS_URL?: string;

  @ValidateIf(inProduction)
  @IsNotEmpty({ message: 'DB_HOST must be set in the production profile (MySQL/MariaDB host)' })
  @IsString()
  DB_HOST?: string;

  @IsOptional()
  @IsIn(['mysql', 'mariadb'])
  DB_TYPE?: 'mysql' | 'mariadb';

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(65535)
  DB_PORT?: number;

  @ValidateIf(inProduction)
  @IsNotEmpty({ message: 'DB_USER must be set in the production profile' })
  DB_USER?: string;

  @ValidateIf(withSafeguards)
  @IsNotEmpty({ message: 'DB_PASSWORD must be set in the production profile (only NODE_ENV=test may leave it empty)' })
  DB_PASSWORD?: string;

  @ValidateIf(inProduction)
  @IsNotEmpty({ message: 'DB_NAME must be set in the production profile' })
  DB_NAME?: string;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(500)
  DB_POOL_SIZE?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(0)
  @Max(500)
  DB_POOL_MAX_IDLE?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1000)
  DB_POOL_IDLE_TIMEOUT_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(100)
  @Max(60_000)
  DB_CONNECT_TIMEOUT_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(100)
  DB_QUERY_TIMEOUT_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(50)
  @Max(60_000)
  DB_ACQUIRE_TIMEOUT_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(0)
  @Max(100)
  DB_CONNECT_RETRIES?: number;

  @IsOptional()
  @IsString()
  DB_SQLITE_PATH?: string;

  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  DB_LOG_QUERIES?: boolean;

  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  DB_MIGRATE_ON_START?: boolean;
}

export interface MysqlPoolConfig {
  /** Most connections open at once; requests beyond it queue in the pool. */
  connectionLimit: number;
  /** Idle connections kept warm; below connectionLimit so the trim timer runs. */
  maxIdle: number;
  /** An idle connection above maxIdle is closed after this long. */
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  /**
   * Longest a caller waits for a connection (a free one, or a new one being opened) before it
   * gets 503: the pool's queue has no limit in time of its own, and during a stall it would hold
   * every request until the server came back.
   */
  acquireTimeoutMs: number;
}

interface CommonDatabaseConfig {
  logQueries: boolean;
  /** Embedded: always. Production: off by default, migrations run as a deploy step. */
  migrateOnStart: boolean;
}

export type DatabaseConfig = CommonDatabaseConfig &
  (
  | {
      type: 'sqlite';
      path: string;
    }
  | {
      type: 'mysql';
      /** Which server speaks the MySQL protocol: TypeORM reads their schemas differently. */
      dialect: 'mysql' | 'mariadb';
      host: string;
      port: number;
      username: string;
      password: string;
      database: string;
      pool: MysqlPoolConfig;
      queryTimeoutMs: number;
      connectRetries: number;
    }
  );

export function loadDatabaseConfig(env: NodeJS.ProcessEnv): DatabaseConfig {
  const parsed = parseEnv(DatabaseEnv, env);
  const logQueries = parsed.DB_LOG_QUERIES ?? false;
  if (resolveProfile(env) === 'embedded') {
    return {
      type: 'sqlite',
      path: parsed.DB_SQLITE_PATH ?? join(loadAppConfig(env).dataDir, 'app.sqlite'),
      logQueries,
      migrateOnStart: parsed.DB_MIGRATE_ON_START ?? true,
    };
  }
  // Two cores run one Node process each; ten connections keep MySQL busy while the
  // event loop waits, without queueing hundreds of threads on the server per pod.
  const connectionLimit = parsed.DB_POOL_SIZE ?? 10;
  return {
    type: 'mysql',
    dialect: parsed.DB_TYPE ?? 'mysql',
    host: parsed.DB_HOST as string,
    port: parsed.DB_PORT ?? 3306,
    username: parsed.DB_USER as string,
    password: parsed.DB_PASSWORD ?? '',
    database: parsed.DB_NAME as string,
    pool: {
      connectionLimit,
      maxIdle: Math.min(parsed.DB_POOL_MAX_IDLE ?? Math.ceil(connectionLimit / 2), connectionLimit),
      idleTimeoutMs: parsed.DB_POOL_IDLE_TIMEOUT_MS ?? 60_000,
      connectTimeoutMs: parsed.DB_CONNECT_TIMEOUT_MS ?? 5_000,
      // well under HTTP_REQUEST_TIMEOUT_MS (30 s): a request that cannot get a connection in 3 s
      // will not get a useful one in time, and failing it frees the client to retry elsewhere
      acquireTimeoutMs: parsed.DB_ACQUIRE_TIMEOUT_MS ?? 3_000,
    },
    queryTimeoutMs: parsed.DB_QUERY_TIMEOUT_MS ?? 10_000,
    connectRetries: parsed.DB_CONNECT_RETRIES ?? 2,
    logQueries,
    migrateOnStart: parsed.DB_MIGRATE_ON_START ?? false,
  };
}

export const databaseConfig = defineConfig('database', loadDatabaseConfig);
