import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions, MixedList } from 'typeorm';
import { boundedMysqlDriver, type ConnectionGate } from './bounded-pool';
import type { DatabaseConfig } from './database.config';
import { DatabaseLogger } from './database-logger';

type MigrationList = MixedList<string | (new () => unknown)>;

export interface DataSourceParts {
  entities?: MixedList<string | (new () => unknown)>;
  migrations: MigrationList;
  /** Run pending migrations while the DataSource initialises (embedded profile, tests). */
  migrationsRun: boolean;
  /** MySQL/MariaDB: who decides whether callers may wait for a connection (the app's 'database' circuit). */
  connectionGate?: ConnectionGate;
}

/**
 * One place that turns our validated config into TypeORM options, shared by the app,
 * the migration CLI and the tests, so all three see the same pool and charset.
 */
export function buildDataSourceOptions(config: DatabaseConfig, parts: DataSourceParts): DataSourceOptions {
  const common = {
    entities: parts.entities ?? [],
    migrations: parts.migrations,
    migrationsRun: parts.migrationsRun,
    migrationsTableName: 'schema_migrations',
    // Schema changes go through reviewed migrations only, in every profile.
    synchronize: false,
    logging: config.logQueries ? ('all' as const) : (['error', 'warn', 'migration'] as const).slice(),
    logger: new DatabaseLogger({ logQueries: config.logQueries }),
  };
  if (config.type === 'sqlite') {
    mkdirSync(dirname(config.path), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: config.path,
      enableWAL: true,
      // a writer waiting on another writer backs off instead of failing with SQLITE_BUSY
      prepareDatabase: (db: { pragma: (source: string) => unknown }) => {
        db.pragma('busy_timeout = 5000');
        db.pragma('foreign_keys = ON');
      },
    };
  }
  return {
    ...common,
    type: config.dialect,
    host: config.host,
    port: config.port,
    username: config.username,
    password: config.password,
    database: config.database,
    // utf8mb4 on the wire: Chinese names and emoji survive the round trip
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    connectTimeout: config.pool.connectTimeoutMs,
    poolSize: config.pool.connectionLimit,
    supportBigNumbers: true,
    bigNumberStrings: true,
    // mysql2 fails a query that runs longer than this (every query TypeORM sends, START
    // TRANSACTION, COMMIT and ROLLBACK included) and the bounded pool retires its connection
    maxQueryExecutionTime: config.queryTimeoutMs,
    enableQueryTimeout: true,
    // mysql2 with a bounded wait for a connection (DB_ACQUIRE_TIMEOUT_MS) and the gate: bounded-pool.ts
    driver: boundedMysqlDriver({
      acquireTimeoutMs: config.pool.acquireTimeoutMs,
      queryTimeoutMs: config.queryTimeoutMs,
      gate: parts.connectionGate,
    }),
    extra: {
      connectionLimit: config.pool.connectionLimit,
      maxIdle: config.pool.maxIdle,
      idleTimeout: config.pool.idleTimeoutMs,
      // No stack captured at every query for the driver's own errors (a V8 stack capture per query,
      // ~4 % of an order's CPU: docs/performance/0032): TypeORM wraps every failure in a
      // QueryFailedError with its own stack, and our logs carry that one.
      trace: false,
      enableKeepAlive: true,
      keepAliveInitialDelay: 10_000,
      waitForConnections: true,
      // bounded queue: under overload, fail a request instead of growing memory forever (in time,
      // the wait is bounded by DB_ACQUIRE_TIMEOUT_MS)
      queueLimit: config.pool.connectionLimit * 100,
    },
  };
}
