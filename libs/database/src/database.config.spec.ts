import { ConfigValidationError } from '@app/config';
import { loadDatabaseConfig } from './database.config';
import { isRetryableTransactionError } from './transaction-runner';

describe('loadDatabaseConfig', () => {
  const production = { DB_HOST: 'db.internal', DB_USER: 'app', DB_NAME: 'wxmp' };

  it('uses a SQLite file under DATA_DIR in the embedded profile', () => {
    const config = loadDatabaseConfig({ DATA_DIR: '/var/lib/wxmp' });
    expect(config).toMatchObject({ type: 'sqlite', path: '/var/lib/wxmp/app.sqlite', migrateOnStart: true });
  });

  it('sizes the pool for a 2-core pod and keeps maxIdle below the limit so idle trimming runs', () => {
    const config = loadDatabaseConfig(production);
    if (config.type !== 'mysql') throw new Error('expected mysql');
    expect(config.pool).toEqual({ connectionLimit: 10, maxIdle: 5, idleTimeoutMs: 60_000, connectTimeoutMs: 5_000 });
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

  it('requires a password when NODE_ENV=production', () => {
    expect(() => loadDatabaseConfig({ ...production, NODE_ENV: 'production' })).toThrow(/DB_PASSWORD/);
    expect(() => loadDatabaseConfig({ ...production, NODE_ENV: 'production', DB_PASSWORD: 's3cret' })).not.toThrow();
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

describe('TransactionRunner on SQLite (one connection)', () => {
  it('runs units of work one after another, so one rollback never undoes another', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { DataSource } = await import('typeorm');
    const { buildDataSourceOptions } = await import('./typeorm-options');
    const { TransactionRunner } = await import('./transaction-runner');
    const directory = mkdtempSync(join(tmpdir(), 'tx-turns-'));
    const dataSource = await new DataSource({
      ...buildDataSourceOptions(loadDatabaseConfig({ DATA_DIR: directory }), { migrations: [], migrationsRun: false }),
      logging: false,
    }).initialize();
    try {
      await dataSource.query('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
      const runner = new TransactionRunner(dataSource);
      const pause = () => new Promise((resolve) => setTimeout(resolve, 20));
      const failing = runner.run(async (manager) => {
        await manager.query("INSERT INTO notes (text) VALUES ('doomed')");
        await pause();
        throw new Error('business rule failed');
      });
      const succeeding = runner.run(async (manager) => {
        await manager.query("INSERT INTO notes (text) VALUES ('kept')");
        // a unit of work started inside another joins it instead of waiting for itself
        await runner.run((inner) => inner.query("INSERT INTO notes (text) VALUES ('nested')"));
      });
      await expect(failing).rejects.toThrow('business rule failed');
      await succeeding;
      const rows: Array<{ text: string }> = await dataSource.query('SELECT text FROM notes ORDER BY id');
      expect(rows.map((row) => row.text)).toEqual(['kept', 'nested']);
    } finally {
      await dataSource.destroy();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
