import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from './database.config';
import { TransactionRunner } from './transaction-runner';
import { buildDataSourceOptions } from './typeorm-options';

describe('TransactionRunner on SQLite (one connection)', () => {
  it('runs units of work one after another, so one rollback never undoes another', async () => {
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
