import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { type RunningApp, startApp } from './app-harness';
import { type EnvOverrides, productionEnv, testServices } from './environment';

export interface TestDatabase {
  name: string;
  drop(): Promise<void>;
}

async function adminConnection(database?: string): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: testServices.dbHost,
    port: testServices.dbPort,
    user: testServices.dbUser,
    password: testServices.dbPassword,
    database,
  });
}

/**
 * A database of its own for one test file, created with the server's default charset
 * (the migrations must make it utf8mb4) and dropped afterwards.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `e2e_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const connection = await adminConnection();
  try {
    await connection.query(`CREATE DATABASE \`${name}\``);
  } finally {
    await connection.end();
  }
  return {
    name,
    drop: async () => {
      const dropper = await adminConnection();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** The database of one describe block, from useTestDatabase(). */
export interface SuiteDatabase {
  /** Readable from beforeAll on: the database does not exist while the describe block is collected. */
  readonly name: string;
  /** Starts the built API on this database (productionEnv(name, overrides)); it is stopped before the database is dropped. */
  startApp(overrides?: EnvOverrides): Promise<RunningApp>;
  /** Reads the database directly: what the API stored, not what it answers. */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

/**
 * Gives the calling describe block a fresh database: created in a beforeAll, dropped in an
 * afterAll after the apps started with `startApp` have stopped. Jest runs every afterAll even
 * when a beforeAll failed, so a failed app start still drops the database. Call it before the
 * block's own hooks: Jest runs hooks in the order they were declared.
 *
 *   const db = useTestDatabase();
 *   beforeAll(async () => { app = await db.startApp({ LOG_LEVEL: 'info' }); });
 */
export function useTestDatabase(): SuiteDatabase {
  let database: TestDatabase | undefined;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await database?.drop();
  });

  const name = (): string => {
    if (!database) throw new Error('useTestDatabase(): no database yet; it is created in beforeAll, read db.name in hooks and tests');
    return database.name;
  };
  return {
    get name() {
      return name();
    },
    startApp: async (overrides = {}) => {
      const app = await startApp(productionEnv(name(), overrides));
      apps.push(app);
      return app;
    },
    query: async <T>(sql: string, params: unknown[] = []) => {
      const connection = await adminConnection(name());
      try {
        const [rows] = await connection.query(sql, params);
        return rows as T[];
      } finally {
        await connection.end();
      }
    },
  };
}
