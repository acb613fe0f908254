export { databaseConfig, loadDatabaseConfig, type DatabaseConfig, type MysqlPoolConfig } from './database.config';
export { DatabaseModule, type DatabaseModuleOptions } from './database.module';
export { isRetryableTransactionError, TransactionRunner, type TransactionOptions } from './transaction-runner';
export { afterCommit, type AfterCommitWork } from './after-commit';
export { buildDataSourceOptions, type DataSourceParts } from './typeorm-options';
export { DatabaseLogger, isUniqueViolation, redactDatabaseErrorText, type DatabaseLogSink } from './database-logger';
export {
  boundedMysqlDriver,
  boundPool,
  type ConnectionGate,
  DatabaseUnavailableError,
  type DatabaseUnavailableReason,
  isQueryTimeout,
  type PoolBounds,
} from './bounded-pool';
export { DB_POOL_CONNECTIONS, DB_POOL_CONNECTIONS_MAX, DatabasePoolMetrics } from './database.metrics';
