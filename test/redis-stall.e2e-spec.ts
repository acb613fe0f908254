import { type EnvelopeBody, request, type RunningApp } from './support/app-harness';
import { type LoadSample, percentile, runLoad, throughput } from './support/load-loop';
import { usePrivateRedis } from './support/private-redis';
import { useTestDatabase } from './support/test-database';
import { useWechatEmulator } from './support/wechat-emulator';

const FREEZE_MS = 10_000;
const AUTH_PREFIX = 'e2e:stall:auth:';

interface Probe {
  at: number;
  status: number;
  latencyMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Readiness every 100 ms for `durationMs`; `at` is ms since `since`. */
async function pollReadiness(app: RunningApp, since: number, durationMs: number): Promise<Probe[]> {
  const probes: Probe[] = [];
  while (performance.now() - since < durationMs) {
    const sentAt = performance.now();
    const response = await fetch(`${app.baseUrl}/health/ready`);
    await response.arrayBuffer();
    probes.push({ at: sentAt - since, status: response.status, latencyMs: performance.now() - sentAt });
    await sleep(100);
  }
  return probes;
}

/** Log lines other than the per-request access lines, at warn level or above. */
const problemLines = (output: string) =>
  output.split('\n').filter((line) => /"level":(40|50|60)/.test(line) && !line.includes('"durationMs"'));

const summary = (samples: LoadSample[]) => ({
  requests: samples.length,
  p50: Math.round(percentile(samples.map((s) => s.latencyMs), 50)),
  p99: Math.round(percentile(samples.map((s) => s.latencyMs), 99)),
  statuses: samples.reduce<Record<string, number>>((counts, s) => ({ ...counts, [`${s.status}/${s.code}`]: (counts[`${s.status}/${s.code}`] ?? 0) + 1 }), {}),
});

/**
 * Issue 14, the Redis half: a stalled (SIGSTOP), not dead, Redis must not make every request wait
 * out the command timeout. A private redis-server on a spare port, frozen and thawed by the test.
 */
describe('a stalled Redis (private redis-server, SIGSTOP/SIGCONT)', () => {
  const db = useTestDatabase();
  const redis = usePrivateRedis();
  const wechat = useWechatEmulator();
  let app: RunningApp;

  beforeAll(async () => {
    app = await db.startApp({
      ...wechat.env,
      REDIS_URL: redis.url,
      AUTH_KEY_PREFIX: AUTH_PREFIX,
      RATE_LIMIT_DEFAULT_LIMIT: '1000000',
      RATE_LIMIT_LOGIN_PER_MINUTE: '10000',
    });
  });

  afterEach(async () => {
    // a failed test must not leave the next one a frozen server
    if (redis.isFrozen) redis.thaw();
  });

  const api = (path: string) => `${app.baseUrl}/api/v1${path}`;
  const ready = () => request(`${app.baseUrl}/health/ready`);
  const untilReady = async (timeoutMs: number): Promise<number> => {
    const started = performance.now();
    while (performance.now() - started < timeoutMs) {
      if ((await ready()).status === 200) return performance.now() - started;
      await sleep(25);
    }
    return Number.POSITIVE_INFINITY;
  };
  const liveRows = async (userId: number) =>
    (
      await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM auth_sessions WHERE subject_id = ? AND revoked_at IS NULL', [userId])
    )[0].n;
  const rows = async (userId: number) =>
    (await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM auth_sessions WHERE subject_id = ?', [userId]))[0].n;
  const userIdOf = async (openid: string) =>
    (await db.query<{ id: number }>('SELECT id FROM users WHERE openid = ?', [openid]))[0]?.id;
  /** Signs `openid` in with a fresh code; the raw answer, whatever it is. */
  const login = async (openid: string) => {
    const code = `code-${openid}-${Date.now()}`;
    await wechat.control('codes', { code, openid, session_key: 'tiihtNczf5v6AKRyjwEUhQ==' });
    const started = performance.now();
    const response = await request<EnvelopeBody<{ accessToken: string }>>(api('/auth/wechat/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    return { ...response, ms: performance.now() - started };
  };

  it('keeps ping and signed-in routes fast while Redis is frozen for 10 s under load, and recovers within 2 s of SIGCONT', async () => {
    const user = await wechat.signIn(app);
    const mix = {
      ping: { concurrency: 10, path: '/api/v1/ping' },
      me: { concurrency: 10, path: '/api/v1/users/me', headers: { authorization: `Bearer ${user.accessToken}` } },
    };
    const healthy = await runLoad(app.baseUrl, 3_000, mix);
    const pingHealthy = throughput(healthy.filter((s) => s.worker === 'ping'), 500, 3_000);

    const outputBefore = app.child.output().length;
    redis.freeze();
    const frozenAt = performance.now();
    const metricsMidway = sleep(FREEZE_MS / 2).then(async () => (await request<string>(`${app.baseUrl}/metrics`)).text);
    const [frozen, probes, midway] = await Promise.all([runLoad(app.baseUrl, FREEZE_MS, mix), pollReadiness(app, frozenAt, FREEZE_MS), metricsMidway]);
    const outageLog = app.child.output().slice(outputBefore);
    redis.thaw();
    const recoveryMs = await untilReady(5_000);

    const afterFirstSecond = frozen.filter((s) => s.startedAt >= 1_000);
    const ping = afterFirstSecond.filter((s) => s.worker === 'ping');
    const me = afterFirstSecond.filter((s) => s.worker === 'me');
    const pingFrozen = throughput(ping, 1_000, FREEZE_MS);
    const lateProbes = probes.filter((probe) => probe.at >= 1_500);
    const report = {
      pingHealthy: Math.round(pingHealthy),
      pingFrozen: Math.round(pingFrozen),
      ratio: Number((pingFrozen / pingHealthy).toFixed(2)),
      healthyMe: summary(healthy.filter((s) => s.worker === 'me')),
      frozenMe: summary(me),
      frozenPing: summary(ping),
      firstSecond: summary(frozen.filter((s) => s.startedAt < 1_000)),
      // when the first 503 arrived (a probe sent at the freeze waits out one command timeout)
      firstNotReadyMs: Math.round(((probe) => (probe ? probe.at + probe.latencyMs : -1))(probes.find((probe) => probe.status === 503))),
      readinessP50: Math.round(percentile(lateProbes.map((probe) => probe.latencyMs), 50)),
      readinessMax: Math.round(Math.max(...lateProbes.map((probe) => probe.latencyMs))),
      recoveryMs: Math.round(recoveryMs),
      problemLines: problemLines(outageLog).length,
    };
    process.stdout.write(`redis frozen ${FREEZE_MS} ms under load: ${JSON.stringify(report)}\n`);

    // ping does not touch Redis but its rate-limit check does: it must stop waiting for Redis
    expect(pingFrozen).toBeGreaterThan(0.5 * pingHealthy);
    // signed-in requests: the session check falls back to the database, or a fast 503
    expect(me.length).toBeGreaterThan(100);
    expect(percentile(me.map((s) => s.latencyMs), 99)).toBeLessThan(200);
    for (const sample of me) {
      // 7040: Redis needed and failing fast; 1008: neither Redis nor the database could check the session
      if (sample.status !== 200) expect([503, [7040, 1008].includes(sample.code ?? 0)]).toEqual([sample.status, true]);
    }
    expect(me.filter((s) => s.status === 200).length / me.length).toBeGreaterThan(0.9);
    // readiness says 503 within ~1 s and answers fast while the circuit is open
    expect(report.firstNotReadyMs).toBeGreaterThanOrEqual(0);
    expect(report.firstNotReadyMs).toBeLessThan(1_500);
    expect(lateProbes.length).toBeGreaterThan(20);
    expect(lateProbes.every((probe) => probe.status === 503)).toBe(true);
    // not asked while the circuit is open: milliseconds, where each probe used to wait out the
    // 1 s command timeout (the bound on the slowest one leaves room for a loaded test machine)
    expect(report.readinessP50).toBeLessThan(100);
    expect(report.readinessMax).toBeLessThan(600);
    // back without a restart
    expect(recoveryMs).toBeLessThan(2_000);
    expect(app.child.process.exitCode).toBeNull();
    const after = await request(api('/users/me'), { headers: { authorization: `Bearer ${user.accessToken}` } });
    expect(after.status).toBe(200);
    // state changes and summaries, not a line per request (thousands were answered)
    expect(report.problemLines).toBeLessThan(20);
    // the circuit was open midway, the limiter failed open meanwhile, and it is closed again
    expect(midway).toMatch(/circuit_state\{name="redis"\} [12]/); // open, or half-open with its PING out
    expect(Number(/rate_limit_requests_total\{result="store_error"\} (\d+)/.exec(midway)?.[1] ?? 0)).toBeGreaterThan(1_000);
    expect((await request<string>(`${app.baseUrl}/metrics`)).text).toMatch(/circuit_state\{name="redis"\} 0/);
  }, 40_000);

  it('keeps a session ended during the outage ended, during and after it', async () => {
    const user = await wechat.signIn(app);
    const auth = { authorization: `Bearer ${user.accessToken}` };
    redis.freeze();
    // the first call waits out one command timeout and opens the circuit; what follows is fast
    await request(api('/users/me'), { headers: auth });
    const logout = await request(api('/auth/logout'), { method: 'POST', headers: auth });
    expect(logout.status).toBe(200);
    const during = await request<EnvelopeBody>(api('/users/me'), { headers: auth });
    expect({ status: during.status, code: during.body.code }).toEqual({ status: 401, code: 2004 });
    redis.thaw();
    expect(await untilReady(3_000)).toBeLessThan(3_000);
    const afterwards = await request<EnvelopeBody>(api('/users/me'), { headers: auth });
    expect({ status: afterwards.status, code: afterwards.body.code }).toEqual({ status: 401, code: 2004 });
  }, 20_000);

  it('answers a login during a freeze with 503/504 and a code, leaving no session row and no live record behind', async () => {
    const openid = `o-frozen-${Date.now()}`;
    redis.freeze();
    const during = await login(openid);
    expect([503, 504]).toContain(during.status);
    expect([7040, 7041]).toContain((during.body as EnvelopeBody).code);
    if (during.status === 503) expect(during.headers.get('retry-after')).toMatch(/^\d+$/);
    // the user is created before the session: only the session must not be left behind
    const userId = await userIdOf(openid);
    expect(userId).toEqual(expect.any(Number));
    expect(await rows(userId)).toBe(0);
    redis.thaw();
    expect(await untilReady(3_000)).toBeLessThan(3_000);

    // every live record in Redis belongs to a live row, and every live row has its record
    const client = redis.client();
    try {
      const keys = await client.keys(`${AUTH_PREFIX}sess:*`);
      const recorded = keys.map((key) => key.slice(`${AUTH_PREFIX}sess:`.length)).sort();
      const live = (await db.query<{ id: string }>('SELECT id FROM auth_sessions WHERE revoked_at IS NULL')).map((row) => row.id).sort();
      expect(recorded).toEqual(live);
    } finally {
      client.disconnect();
    }
  }, 20_000);

  it('answers a login with Redis dead with 503 (7040) at once, writes no session, and works again once Redis is back', async () => {
    const openid = `o-dead-${Date.now()}`;
    await redis.stop();
    const during = await login(openid);
    expect(during.status).toBe(503);
    expect((during.body as EnvelopeBody).code).toBe(7040);
    expect(during.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(during.ms).toBeLessThan(500);
    const userId = await userIdOf(openid);
    expect(userId).toEqual(expect.any(Number));
    expect(await rows(userId)).toBe(0);

    await redis.start();
    expect(await untilReady(5_000)).toBeLessThan(5_000);
    const after = await login(openid);
    expect(after.status).toBe(200);
    const id = (await userIdOf(openid)) as number;
    expect(await liveRows(id)).toBe(1);
    const client = redis.client();
    try {
      expect(await client.keys(`${AUTH_PREFIX}sess:*`)).toHaveLength(1);
    } finally {
      client.disconnect();
    }
  }, 20_000);
});
