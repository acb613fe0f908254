import { request, RunningApp } from './support/app-harness';
import { testServices } from './support/environment';
import { TcpProxy } from '@app/testing';
import { usePrivateRedis } from './support/private-redis';
import { useTestDatabase } from './support/test-database';

interface HealthBody {
  code: number;
  data: { status: string; details?: Record<string, { status: string }>; error?: Record<string, unknown> } | null;
}

async function pollUntil<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!accept(last) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await probe();
  }
  return last;
}

describe('health probes against real MariaDB and Redis', () => {
  const db = useTestDatabase();
  let running: RunningApp;
  const mariadbProxy = new TcpProxy(testServices.dbHost, testServices.dbPort);
  const redisUrl = new URL(testServices.redisUrl);
  const redisProxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));

  beforeAll(async () => {
    await mariadbProxy.start();
    await redisProxy.start();
    running = await db.startApp({
      DB_PORT: String(mariadbProxy.port),
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
    });
  });

  afterAll(async () => {
    await mariadbProxy.stop();
    await redisProxy.stop();
  });

  const ready = () => request<HealthBody>(`${running.baseUrl}/health/ready`);
  const live = () => request<HealthBody>(`${running.baseUrl}/health/live`);

  it('is ready when both dependencies answer', async () => {
    const response = await ready();
    expect(response.status).toBe(200);
    expect(response.body.code).toBe(0);
    expect(response.body.data?.details).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('turns 503 within 2 s when MariaDB is unreachable, stays live, and recovers when it is back', async () => {
    await mariadbProxy.stop();
    const started = Date.now();
    // an answer is reused for up to 1 s (the previous test's probe was moments ago)
    const down = await pollUntil(ready, (response) => response.status === 503, 3_000);
    const elapsed = Date.now() - started;
    expect(down.status).toBe(503);
    expect(elapsed).toBeLessThan(2000);
    expect(down.body.code).toBe(1018);
    expect(down.body.data?.details).toMatchObject({ database: { status: 'down' }, redis: { status: 'up' } });
    // up or down only: the driver's reason (an address inside the network) goes to the log
    expect(down.body.data?.details).toEqual({ database: { status: 'down' }, redis: { status: 'up' } });
    expect(down.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|timeout/i);
    // log lines leave in batches: at most one flush interval later
    const logged = await pollUntil(async () => running.child.output(), (output) => /readiness: database down/.test(output), 2_000);
    expect(logged).toMatch(/"reason":"[^"]*(ECONNREFUSED|closed|lost|timeout)[^"]*","msg":"readiness: database down"/i);

    const liveness = await live();
    expect(liveness.status).toBe(200);

    await mariadbProxy.restart();
    const back = await pollUntil(ready, (response) => response.status === 200, 10_000);
    expect(back.status).toBe(200);
  });

  it('turns 503 when Redis is unreachable and recovers when it is back', async () => {
    await redisProxy.stop();
    const down = await pollUntil(ready, (response) => response.status === 503, 3_000);
    expect(down.status).toBe(503);
    expect(down.body.data?.details).toMatchObject({ redis: { status: 'down' }, database: { status: 'up' } });
    expect((await live()).status).toBe(200);

    await redisProxy.restart();
    const back = await pollUntil(ready, (response) => response.status === 200, 10_000);
    expect(back.status).toBe(200);
  });
});

describe('readiness is cheap to ask (private Redis)', () => {
  const db = useTestDatabase();
  const redis = usePrivateRedis();
  let running: RunningApp;

  beforeAll(async () => {
    running = await db.startApp({ REDIS_URL: redis.url });
  });

  const pings = async (): Promise<number> => {
    const client = redis.client();
    try {
      const stats = await client.info('commandstats');
      return Number(/cmdstat_ping:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    } finally {
      client.disconnect();
    }
  };

  it('answers a burst of probes from one check a second, not one check per probe', async () => {
    expect((await request(`${running.baseUrl}/health/ready`)).status).toBe(200);
    const before = await pings();
    const started = Date.now();
    for (let wave = 0; wave < 4; wave += 1) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => request(`${running.baseUrl}/health/ready`)));
      expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    }
    const elapsed = Date.now() - started;
    // 40 probes: one PING per second they spanned (a check in flight is shared), where each probe used to send its own
    expect(await pings() - before).toBeLessThanOrEqual(Math.ceil(elapsed / 1000) + 1);
  });
});
