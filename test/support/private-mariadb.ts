import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './child-app';
import type { EnvOverrides } from './environment';

const MARIADBD = process.env.TEST_MARIADBD ?? '/usr/sbin/mariadbd';

/** A MariaDB server of one test file's own, which the test may freeze (SIGSTOP) without touching anyone else's. */
export interface PrivateMariadb {
  readonly host: string;
  readonly port: number;
  /** The DB_* variables that point the API at this server and `database`. */
  env(database: string): EnvOverrides;
  /** Creates a database on this server and returns its name. */
  createDatabase(prefix: string): Promise<string>;
  /** SIGSTOP: the server's sockets stay open and accept TCP connections, but nothing answers. */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
}

async function connectable(port: number, deadline: number): Promise<void> {
  for (;;) {
    try {
      const connection = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 });
      await connection.end();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * Starts a private `mariadbd` on a free loopback port with an empty data directory of its own in
 * a beforeAll (about a second: no system tables, `--skip-grant-tables`, so any user gets in, and
 * small InnoDB files), and kills it in an afterAll, thawing it first if a test left it frozen.
 * Needs the Debian package `mariadb-server` (only its binary: the machine's own server is not used).
 *
 *   const mariadb = usePrivateMariadb();
 *   beforeAll(async () => { app = await startApp(productionEnv(name, mariadb.env(name))); });
 *   mariadb.freeze(); … mariadb.thaw();
 */
export function usePrivateMariadb(): PrivateMariadb {
  let server: ChildProcess | undefined;
  let port = 0;
  let directory: string | undefined;
  let output = '';
  const killOnExit = () => server?.kill('SIGKILL');

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'private-mariadb-'));
    port = await freePort();
    server = spawn(
      MARIADBD,
      [
        '--no-defaults',
        `--datadir=${directory}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(directory, 'mariadbd.sock')}`,
        `--pid-file=${join(directory, 'mariadbd.pid')}`,
        '--skip-grant-tables',
        '--skip-name-resolve',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=16M',
        '--innodb-log-file-size=4M',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        // mariadbd refuses to run as root unless told to
        ...(process.getuid?.() === 0 ? ['--user=root'] : []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    process.once('exit', killOnExit);
    try {
      await connectable(port, Date.now() + 20_000);
    } catch (error) {
      throw new Error(`private mariadbd did not start on port ${port}: ${(error as Error).message}\n${output.slice(-2000)}`);
    }
  });

  afterAll(async () => {
    process.removeListener('exit', killOnExit);
    const child = server;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    }
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  const signal = (name: NodeJS.Signals) => {
    if (!server?.pid) throw new Error('usePrivateMariadb(): the server starts in beforeAll');
    server.kill(name);
  };
  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    env: (database) => ({ DB_TYPE: 'mariadb', DB_HOST: '127.0.0.1', DB_PORT: String(port), DB_USER: 'root', DB_PASSWORD: '', DB_NAME: database }),
    createDatabase: async (prefix) => {
      const name = `${prefix}_${Date.now().toString(36)}`;
      const connection = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
      try {
        await connection.query(`CREATE DATABASE \`${name}\``);
      } finally {
        await connection.end();
      }
      return name;
    },
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
  };
}
