import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, type DataSourceParts, loadDatabaseConfig } from '@app/database';

/** The database of one spec file or describe block, from useTestDataSource(). */
export interface TestDataSource {
  /** Readable from beforeAll on: it does not exist while the spec is collected. */
  readonly dataSource: DataSource;
}

/**
 * A migrated database for unit specs: the embedded profile's SQLite file in a fresh temporary
 * directory, initialised in a beforeAll and deleted in an afterAll. Rules that live in SQL
 * (unique indexes, compare-and-set updates, transactions) then run for real without a server;
 * the e2e suite runs the same migrations on MariaDB.
 *
 *   const db = useTestDataSource({ entities: [User], migrations });
 *   beforeAll(() => { users = newTestService(UsersService, { dataSource: db.dataSource }).sut; });
 */
export function useTestDataSource(parts: Pick<DataSourceParts, 'entities' | 'migrations'>): TestDataSource {
  let directory: string | undefined;
  let dataSource: DataSource | undefined;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'unit-db-'));
    const options = buildDataSourceOptions(loadDatabaseConfig({ DATA_DIR: directory }), { ...parts, migrationsRun: true });
    // migration lines would bury the test output
    dataSource = await new DataSource({ ...options, logging: false }).initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  return {
    get dataSource() {
      if (!dataSource) throw new Error('useTestDataSource(): no database yet; it is created in beforeAll, use it in hooks and tests');
      return dataSource;
    },
  };
}
