import { request, RunningApp } from './support/app-harness';
import { testServices } from './support/environment';
import { TcpProxy } from '@app/testing';
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
    const down = await ready();
    const elapsed = Date.now() - started;
    expect(down.status).toBe(503);
    expect(elapsed).toBeLessThan(2000);
    expect(down.body.code).toBe(1018);
    expect(down.body.data?.details).toMatchObject({ database: { status: 'down' }, redis: { status: 'up' } });

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
