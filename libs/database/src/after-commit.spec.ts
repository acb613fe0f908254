import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterCommit } from './after-commit';
import { loadDatabaseConfig } from './database.config';
import { TransactionRunner } from './transaction-runner';
import { buildDataSourceOptions } from './typeorm-options';

describe('afterCommit (SQLite)', () => {
  let directory: string;
  let dataSource: DataSource;
  let runner: TransactionRunner;
  /** What each piece of work saw in the table when it ran: [label, rows]. */
  let seen: Array<[string, number]>;
  const count = async () => Number((await dataSource.query('SELECT COUNT(*) AS n FROM notes'))[0].n);

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'after-commit-'));
    dataSource = await new DataSource({
      ...buildDataSourceOptions(loadDatabaseConfig({ DATA_DIR: directory }), { migrations: [], migrationsRun: false }),
      logging: false,
    }).initialize();
    await dataSource.query('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
    runner = new TransactionRunner(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
    rmSync(directory, { recursive: true, force: true });
  });

  beforeEach(async () => {
    seen = [];
    await dataSource.query('DELETE FROM notes');
  });

  it('runs after the commit, with the rows visible, before the transaction returns to its caller', async () => {
    await runner.run(async (manager) => {
      await manager.query("INSERT INTO notes (text) VALUES ('a')");
      afterCommit(manager, async () => {
        seen.push(['first', await count()]);
      });
      afterCommit(manager, async () => {
        seen.push(['second', await count()]);
      });
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual([
      ['first', 1],
      ['second', 1],
    ]);
  });

  it('never runs for a transaction that rolled back, nor leaks into the next one', async () => {
    await expect(
      runner.run(async (manager) => {
        afterCommit(manager, async () => {
          seen.push(['doomed', await count()]);
        });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    await runner.run(async (manager) => {
      await manager.query("INSERT INTO notes (text) VALUES ('b')");
    });
    expect(seen).toEqual([]);
  });

  it('waits for the outermost commit when units of work nest', async () => {
    await runner.run(async (manager) => {
      await runner.run(async (inner) => {
        await inner.query("INSERT INTO notes (text) VALUES ('inner')");
        afterCommit(inner, async () => {
          seen.push(['inner', await count()]);
        });
      });
      await manager.query("INSERT INTO notes (text) VALUES ('outer')");
    });
    expect(seen).toEqual([['inner', 2]]);
  });

  it('keeps the commit committed when the work fails', async () => {
    await runner.run(async (manager) => {
      await manager.query("INSERT INTO notes (text) VALUES ('kept')");
      afterCommit(manager, () => Promise.reject(new Error('cache down')));
    });
    expect(await count()).toBe(1);
  });

  it('refuses a manager outside a transaction', () => {
    expect(() => afterCommit(dataSource.manager, async () => undefined)).toThrow('open transaction');
  });
});
