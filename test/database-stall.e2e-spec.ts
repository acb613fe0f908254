import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, DatabaseLogger, loadDatabaseConfig } from '@app/database';
import { type EnvelopeBody, request } from './support/app-harness';
import { type ChildApp, spawnApp } from './support/child-app';
import { type EnvOverrides, productionEnv, testServices } from './support/environment';
import { usePrivateMariadb } from './support/private-mariadb';
import { type SignedIn, useWechatEmulator } from './support/wechat-emulator';

/**
 * Issue 14, the database half: a private mariadbd frozen with SIGSTOP (TCP stays open, nothing
 * answers), the timeouts scaled down from production's (request 30 s, acquire 3 s, query 10 s,
 * freeze 30 s) so the file runs in well under a minute.
 */
const HTTP_REQUEST_TIMEOUT_MS = 3_000;
const ACQUIRE_TIMEOUT_MS = 1_000;
const QUERY_TIMEOUT_MS = 1_500;
const RESET_TIMEOUT_MS = 2_000;
const FREEZE_MS = 10_000;
/** The acceptance bound: no request may last longer than this, whatever the database does. */
const LONGEST_REQUEST_MS = HTTP_REQUEST_TIMEOUT_MS + 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Resolves to 'timed out' instead of hanging the file when the code under test hangs. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T | 'timed out'> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timed out'>((resolve) => (timer = setTimeout(() => resolve('timed out'), ms)));
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

interface Sample {
  route: 'login' | 'patch me' | 'get me' | 'ready';
  startedAt: number;
  ms: number;
  status: number;
  code: number | undefined;
  retryAfter: string | null;
}

describe('a stalled database (private mariadbd frozen with SIGSTOP)', () => {
  const mariadb = usePrivateMariadb();
  const wechat = useWechatEmulator();
  const run = randomBytes(4).toString('hex');
  let databaseName: string;

  beforeAll(async () => {
    databaseName = await mariadb.createDatabase('stall');
  });
  afterAll(async () => {
    const redis = new Redis(testServices.redisUrl);
    const keys = await redis.keys(`e2e:stall:${run}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const appEnv = (overrides: EnvOverrides = {}): EnvOverrides =>
    productionEnv(databaseName, {
      ...mariadb.env(databaseName),
      ...wechat.env,
      HTTP_REQUEST_TIMEOUT_MS: String(HTTP_REQUEST_TIMEOUT_MS),
      DB_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS),
      DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      DB_CONNECT_TIMEOUT_MS: '1000',
      DB_POOL_SIZE: '4',
      CIRCUIT_RESET_TIMEOUT_MS: String(RESET_TIMEOUT_MS),
      // the load below signs in from one address far faster than the login limit allows
      RATE_LIMIT_ENABLED: 'false',
      // user ids restart at 1 in a fresh database: keep this file's keys apart on the shared Redis
      AUTH_KEY_PREFIX: `e2e:stall:${run}:auth:`,
      CACHE_KEY_PREFIX: `e2e:stall:${run}:cache:`,
      RATE_LIMIT_KEY_PREFIX: `e2e:stall:${run}:rl:`,
      ...overrides,
    });

  it('bounds every wait in the driver: a late connection goes back to the pool, a transaction on a frozen server ends within the query timeout', async () => {
    // NODE_ENV=test: root without a password, as the suite runs the production profile
    const config = loadDatabaseConfig({ NODE_ENV: 'test', ...mariadb.env(databaseName), DB_POOL_SIZE: '1', DB_ACQUIRE_TIMEOUT_MS: '300', DB_QUERY_TIMEOUT_MS: '500' });
    // the failures below are expected: their log lines would only bury the test output
    const silent = { debug: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined };
    const options = { ...buildDataSourceOptions(config, { migrations: [], migrationsRun: false }), logger: new DatabaseLogger({ logQueries: false }, silent) };
    const dataSource = await new DataSource(options).initialize();
    try {
      // a pool of one, held: the next caller gives up after DB_ACQUIRE_TIMEOUT_MS...
      const holder = dataSource.createQueryRunner();
      await holder.connect();
      let started = Date.now();
      const waited = await within(3_000, dataSource.query('SELECT 1').catch((error: unknown) => error));
      expect(waited).toMatchObject({ name: 'DatabaseUnavailableError', reason: 'acquireTimeout', code: 'DB_ACQUIRE_TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(300 + 200);
      // ...and the connection it no longer wants goes back to the pool when it comes free
      await holder.release();
      started = Date.now();
      await expect(dataSource.query('SELECT 2 AS two')).resolves.toEqual([{ two: 2 }]);
      expect(Date.now() - started).toBeLessThan(100);

      // frozen mid-transaction: the query times out, and the ROLLBACK does not queue behind it
      started = Date.now();
      const transaction = dataSource.transaction(async (manager) => {
        await manager.query('SELECT 1');
        mariadb.freeze();
        await manager.query('SELECT 3');
      });
      const outcome = await within(5_000, transaction.then(() => 'committed', (error: unknown) => error));
      const elapsed = Date.now() - started;
      mariadb.thaw();
      expect(outcome).toMatchObject({ name: 'QueryFailedError', driverError: { code: 'PROTOCOL_SEQUENCE_TIMEOUT' } });
      expect(elapsed).toBeLessThan(500 + 500);

      // the connection that timed out was retired: the next query opens a fresh one
      await expect(dataSource.query('SELECT 4 AS four')).resolves.toEqual([{ four: 4 }]);
    } finally {
      mariadb.thaw();
      await dataSource.destroy();
    }
  });

  it('frozen for 10 s under load: every request ends within HTTP_REQUEST_TIMEOUT_MS + 2 s, 503/504 with codes and never 500, readiness 503, recovery without restart', async () => {
    const app = await spawnApp(appEnv({ LOG_LEVEL: 'info' }));
    try {
      const api = (path: string) => `${app.baseUrl}/api/v1${path}`;
      const sessions: SignedIn[] = [];
      for (let i = 0; i < 4; i += 1) sessions.push(await wechat.signIn({ baseUrl: app.baseUrl, child: app, close: async () => undefined }));

      const samples: Sample[] = [];
      const timed = async (route: Sample['route'], url: string, init: RequestInit = {}): Promise<Sample> => {
        const startedAt = Date.now();
        let sample: Sample;
        try {
          const response = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
          const body = (await response.json()) as Partial<EnvelopeBody>;
          sample = { route, startedAt, ms: Date.now() - startedAt, status: response.status, code: body.code, retryAfter: response.headers.get('retry-after') };
        } catch {
          sample = { route, startedAt, ms: Date.now() - startedAt, status: 0, code: undefined, retryAfter: null };
        }
        samples.push(sample);
        return sample;
      };
      const login = async (): Promise<Sample> => {
        const code = `code-${randomBytes(6).toString('hex')}`;
        await wechat.control('codes', { code, openid: `o-${randomBytes(6).toString('hex')}`, session_key: randomBytes(16).toString('base64') });
        return timed('login', api('/auth/wechat/login'), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code }),
        });
      };
      const patchMe = (session: SignedIn) =>
        timed('patch me', api('/users/me'), {
          method: 'PATCH',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}` },
          body: JSON.stringify({ nickname: `n-${randomBytes(3).toString('hex')}` }),
        });
      const getMe = (session: SignedIn) => timed('get me', api('/users/me'), { headers: { authorization: `Bearer ${session.accessToken}` } });
      const ready = () => timed('ready', `${app.baseUrl}/health/ready`);

      let stop = false;
      const worker = async (index: number) => {
        const session = sessions[index % sessions.length];
        for (let turn = index; !stop; turn += 1) {
          const pick = turn % 4;
          if (pick === 0) await login();
          else if (pick === 1) await patchMe(session);
          else if (pick === 2) await getMe(session);
          else await ready();
        }
      };
      const workers = Array.from({ length: 12 }, (_, index) => worker(index));

      await sleep(1_500);
      const frozenAt = Date.now();
      mariadb.freeze();
      let metricsDuringFreeze = '';
      let thawedAt = 0;
      let recoveredAt = 0;
      try {
        await sleep(FREEZE_MS / 2);
        metricsDuringFreeze = await (await fetch(`${app.baseUrl}/metrics`)).text();
        await sleep(FREEZE_MS / 2);
      } finally {
        mariadb.thaw();
        thawedAt = Date.now();
      }
      // recovery: a sign-in (the database path) and readiness succeed again, same process
      for (const deadline = Date.now() + 15_000; Date.now() < deadline && recoveredAt === 0; await sleep(100)) {
        const [signIn, readiness] = [await login(), await ready()];
        if (signIn.status === 200 && readiness.status === 200) recoveredAt = Date.now();
      }
      await sleep(1_000);
      stop = true;
      await Promise.all(workers);

      const during = samples.filter((s) => s.startedAt >= frozenAt && s.startedAt + s.ms <= thawedAt);
      const databaseBacked = during.filter((s) => s.route === 'login' || s.route === 'patch me');
      const tally = (list: Sample[]) =>
        list.reduce<Record<string, number>>((counts, s) => ({ ...counts, [`${s.status}/${s.code}`]: (counts[`${s.status}/${s.code}`] ?? 0) + 1 }), {});
      const fastRefusals = databaseBacked.filter((s) => s.code === 7030 && s.ms < 100);
      process.stdout.write(
        `${JSON.stringify({
          requests: samples.length,
          longestMs: Math.max(...samples.map((s) => s.ms)),
          duringFreeze: { databaseBacked: tally(databaseBacked), getMe: tally(during.filter((s) => s.route === 'get me')), ready: tally(during.filter((s) => s.route === 'ready')) },
          fastRefusals: fastRefusals.length,
          recoveryMsAfterThaw: recoveredAt - thawedAt,
        })}\n`,
      );

      expect(Math.max(...samples.map((s) => s.ms))).toBeLessThanOrEqual(LONGEST_REQUEST_MS);
      expect(samples.filter((s) => s.status === 0 || s.status === 500 || s.code === 1000)).toEqual([]);

      // every request that needed the database while it was frozen: 503 (7030) or 504 (7031)
      expect(databaseBacked.length).toBeGreaterThan(50);
      for (const sample of databaseBacked) {
        expect([`${sample.status}/${sample.code}`]).toEqual([expect.stringMatching(/^(503\/7030|504\/7031)$/)]);
        if (sample.status === 503) expect(sample.retryAfter).toMatch(/^\d+$/);
      }
      // the stall was noticed: after the first timeouts, callers stop waiting (the 'database' circuit)
      expect(fastRefusals.length).toBeGreaterThan(databaseBacked.length / 2);
      expect(metricsDuringFreeze).toMatch(/circuit_state\{name="database"\} [12]/);
      // readiness says so, in under its 1 s check timeout plus margin
      const readyDuring = during.filter((s) => s.route === 'ready' && s.startedAt > frozenAt + 1_500);
      expect(readyDuring.length).toBeGreaterThan(0);
      expect(readyDuring.every((s) => s.status === 503 && s.ms < 1_500)).toBe(true);

      // recovery without restart: the next probe after the cool-down closes the circuit
      expect(recoveredAt).toBeGreaterThan(0);
      expect(recoveredAt - thawedAt).toBeLessThan(RESET_TIMEOUT_MS + 3_000);
      expect(app.process.exitCode).toBeNull();
      const after = samples.filter((s) => s.startedAt >= recoveredAt);
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((s) => s.status === 200)).toBe(true);
      // one line per state change, not per request
      const opened = app.output().match(/circuit database opened/g) ?? [];
      expect(opened.length).toBeGreaterThanOrEqual(1);
      expect(opened.length).toBeLessThanOrEqual(Math.ceil(FREEZE_MS / RESET_TIMEOUT_MS) + 2);
    } finally {
      mariadb.thaw();
      await stopApp(app);
    }
  });

  it('SIGTERM during a freeze: the process exits within drain + SHUTDOWN_FORCE_EXIT_MS, with code 1 and a line naming what was still open', async () => {
    const drainMs = 1_000;
    const forceExitMs = 2_000;
    // production's query timeout, longer than drain + force: the stalled query still holds its
    // connection when the pool closes, and mysql2's goodbye (COM_QUIT) queues behind it
    const app = await spawnApp(
      appEnv({ DB_QUERY_TIMEOUT_MS: '10000', SHUTDOWN_DRAIN_MS: String(drainMs), SHUTDOWN_FORCE_EXIT_MS: String(forceExitMs) }),
    );
    try {
      const session = await wechat.signIn({ baseUrl: app.baseUrl, child: app, close: async () => undefined });
      mariadb.freeze();
      // in flight when the signal comes: stalled on the frozen database
      const stalled = request(`${app.baseUrl}/api/v1/users/me`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}` },
        body: JSON.stringify({ nickname: 'frozen' }),
      }).catch(() => undefined);
      await sleep(200);
      const started = Date.now();
      app.process.kill('SIGTERM');
      const exit = await within(10_000, app.exited);
      const elapsed = Date.now() - started;
      await stalled;

      const forced = app.output().split('\n').filter((line) => line.includes('shutdown did not finish'));
      process.stdout.write(`${JSON.stringify({ exit, elapsedMs: elapsed, forced })}\n`);
      expect(exit).toEqual({ code: 1, signal: null });
      expect(elapsed).toBeLessThan(drainMs + forceExitMs + 1_000);
      expect(forced).toHaveLength(1);
      expect(forced[0]).toMatch(/still open: [^"]*database pool/);
    } finally {
      mariadb.thaw();
      await stopApp(app);
    }
  });
});

async function stopApp(app: ChildApp): Promise<void> {
  if (app.process.exitCode !== null || app.process.signalCode !== null) return;
  app.process.kill('SIGKILL');
  await app.exited;
}
