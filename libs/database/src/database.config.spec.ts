import { ConfigValidationError } from '@app/config';
import { loadDatabaseConfig } from './database.config';
import { isRetryableTransactionError } from './transaction-runner';

describe('loadDatabaseConfig', () => {
  const production = { DB_HOST: 'db.internal', DB_USER: 'app', DB_NAME: 'wxmp', DB_PASSWORD: 's3cret' };
  const { DB_PASSWORD: _password, ...withoutPassword } = production;

  it('uses a SQLite file under DATA_DIR in the embedded profile', () => {
    const config = loadDatabaseConfig({ DATA_DIR: '/var/lib/wxmp' });
    expect(config).toMatchObject({ type: 'sqlite', path: '/var/lib/wxmp/app.sqlite', migrateOnStart: true });
  });

  it('sizes the pool for a 2-core pod and keeps maxIdle below the limit so idle trimming runs', () => {
    const config = loadDatabaseConfig(production);
    if (config.type !== 'mysql') throw new Error('expected mysql');
    expect(config.pool).toEqual({ connectionLimit: 10, maxIdle: 5, idleTimeoutMs: 60_000, connectTimeoutMs: 5_000, acquireTimeoutMs: 3_000 });
    expect(config.migrateOnStart).toBe(false);
    expect(config.dialect).toBe('mysql');
  });

  it('accepts an explicit pool and dialect', () => {
    const config = loadDatabaseConfig({ ...production, DB_POOL_SIZE: '4', DB_POOL_MAX_IDLE: '9', DB_TYPE: 'mariadb' });
    if (config.type !== 'mysql') throw new Error('expected mysql');
    expect(config.pool.connectionLimit).toBe(4);
    expect(config.pool.maxIdle).toBe(4);
    expect(config.dialect).toBe('mariadb');
  });

  it('refuses the production profile without host, user and database name', () => {
    expect(() => loadDatabaseConfig({ REDIS_URL: 'redis://r:6379' })).toThrow(/DB_HOST[\s\S]*DB_USER[\s\S]*DB_NAME/);
  });

  it('requires a password in the production profile, whatever NODE_ENV says, except NODE_ENV=test (the e2e suite)', () => {
    expect(() => loadDatabaseConfig({ ...withoutPassword, NODE_ENV: 'production' })).toThrow(/DB_PASSWORD/);
    expect(() => loadDatabaseConfig({ ...production, NODE_ENV: 'production' })).not.toThrow();
    expect(() => loadDatabaseConfig(withoutPassword)).toThrow(/DB_PASSWORD/);
    expect(() => loadDatabaseConfig({ ...production, NODE_ENV: 'development', DB_PASSWORD: '' })).toThrow(/DB_PASSWORD/);
    expect(() => loadDatabaseConfig({ ...withoutPassword, NODE_ENV: 'test' })).not.toThrow();
  });

  it('bounds the wait for a connection: DB_ACQUIRE_TIMEOUT_MS, validated like the other timeouts', () => {
    const config = loadDatabaseConfig({ ...production, DB_ACQUIRE_TIMEOUT_MS: '1500' });
    if (config.type !== 'mysql') throw new Error('expected mysql');
    expect(config.pool.acquireTimeoutMs).toBe(1500);
    expect(() => loadDatabaseConfig({ ...production, DB_ACQUIRE_TIMEOUT_MS: '0' })).toThrow(/DB_ACQUIRE_TIMEOUT_MS/);
    expect(() => loadDatabaseConfig({ ...production, DB_ACQUIRE_TIMEOUT_MS: 'soon' })).toThrow(/DB_ACQUIRE_TIMEOUT_MS/);
  });

  it('rejects a malformed port', () => {
    expect(() => loadDatabaseConfig({ ...production, DB_PORT: '99999' })).toThrow(ConfigValidationError);
  });
});

describe('isRetryableTransactionError', () => {
  it.each([
    [{ errno: 1213, code: 'ER_LOCK_DEADLOCK' }, true],
    [{ errno: 1205 }, true],
    [{ code: 'SQLITE_BUSY' }, true],
    [{ driverError: { errno: 1213 } }, true],
    [{ errno: 1062, code: 'ER_DUP_ENTRY' }, false],
    [new Error('plain'), false],
    [null, false],
  ])('%j -> %s', (error, expected) => {
    expect(isRetryableTransactionError(error)).toBe(expected);
  });
});
