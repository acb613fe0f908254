import { randomBytes } from 'node:crypto';
import { request } from './support/app-harness';
import { testServices } from './support/environment';
import { TcpProxy } from '@app/testing';
import { useTestDatabase } from './support/test-database';

describe('rate limiting (real Redis, real processes)', () => {
  const db = useTestDatabase();
  const env = (overrides: Record<string, string> = {}) => ({
    // a fresh key space per test, so reruns within a window never see old counts
    RATE_LIMIT_KEY_PREFIX: `e2e:rl:${randomBytes(4).toString('hex')}:`,
    ...overrides,
  });
  const launch = (overrides: Record<string, string>) => db.startApp(env(overrides));

  it('allows exactly the limit, then answers 429 in the envelope with Retry-After and RateLimit-* headers', async () => {
    const app = await launch({});
    const url = `${app.baseUrl}/api/v1/diagnostics/rate-limited`;
    const responses = [];
    for (let i = 0; i < 6; i += 1) responses.push(await request(url));

    expect(responses.slice(0, 5).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(responses.slice(0, 5).map((r) => r.headers.get('ratelimit-remaining'))).toEqual(['4', '3', '2', '1', '0']);
    expect(responses[0].headers.get('ratelimit-limit')).toBe('5');
    expect(Number(responses[0].headers.get('ratelimit-reset'))).toBeGreaterThan(0);

    const refused = responses[5];
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ code: 7010, message: 'Too many requests', data: null, requestId: expect.any(String) });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
  });

  it('shares one limit between two instances', async () => {
    const shared = { RATE_LIMIT_KEY_PREFIX: `e2e:rl:shared:${randomBytes(4).toString('hex')}:` };
    // one after the other: both run the migrations at boot on the same database
    const first = await db.startApp(env(shared));
    const second = await db.startApp(env(shared));
    const path = '/api/v1/diagnostics/rate-limited';
    const statuses = [];
    for (const app of [first, second, first, second, first, second]) {
      statuses.push((await request(`${app.baseUrl}${path}`)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('ignores X-Forwarded-For from an untrusted peer: a client cannot pick its own key', async () => {
    const app = await launch({});
    const statuses = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await request(`${app.baseUrl}/api/v1/diagnostics/rate-limited/by-ip`, {
        headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('believes X-Forwarded-For from a configured trusted proxy', async () => {
    const app = await launch({ TRUSTED_PROXIES: '127.0.0.1' });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await request<{ data: { clientIp: string } }>(`${app.baseUrl}/api/v1/diagnostics/rate-limited`, {
        headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
      });
      statuses.push(response.status);
      if (i === 0) expect(response.body.data.clientIp).toBe('198.51.100.1');
    }
    // four different clients behind the proxy, each under its own limit
    expect(statuses).toEqual([200, 200, 200, 200]);
  });

  it('counts IPv6 clients by /64: fresh addresses from one subscriber share its limit', async () => {
    // trusted as a range, as a pod network is named behind an ingress
    const app = await launch({ TRUSTED_PROXIES: '127.0.0.0/8' });
    const from = async (address: string) =>
      (await request(`${app.baseUrl}/api/v1/diagnostics/rate-limited/by-ip`, { headers: { 'x-forwarded-for': address } })).status;
    const statuses = [];
    for (const address of ['2001:db8:1:2::1', '2001:db8:1:2:a:b:c:d', '2001:db8:1:2::2', '2001:db8:1:2:ffff:ffff:ffff:ffff']) {
      statuses.push(await from(address));
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    // the next /64 is another subscriber
    expect(await from('2001:db8:1:3::1')).toBe(200);
  });

  it('never limits probes or metrics', async () => {
    const app = await launch({ RATE_LIMIT_DEFAULT_LIMIT: '2', RATE_LIMIT_DEFAULT_WINDOW_MS: '60000' });
    for (let i = 0; i < 5; i += 1) {
      expect((await request(`${app.baseUrl}/health/live`)).status).toBe(200);
      expect((await request(`${app.baseUrl}/metrics`)).status).toBe(200);
    }
    const pings = [];
    for (let i = 0; i < 3; i += 1) pings.push((await request(`${app.baseUrl}/api/v1/ping`)).status);
    expect(pings).toEqual([200, 200, 429]);
  });

  it('fails open when Redis is unreachable: requests are served, the metric counts it', async () => {
    const redisUrl = new URL(testServices.redisUrl);
    const proxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    await proxy.start();
    try {
      const app = await launch({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
      expect((await request(`${app.baseUrl}/api/v1/ping`)).status).toBe(200);
      await proxy.stop();
      const statuses = [];
      for (let i = 0; i < 8; i += 1) statuses.push((await request(`${app.baseUrl}/api/v1/diagnostics/rate-limited`)).status);
      expect(statuses).toEqual(Array(8).fill(200));
      const metrics = await request<string>(`${app.baseUrl}/metrics`);
      expect(metrics.text).toMatch(/rate_limit_requests_total\{result="store_error"\} ([89]|\d{2,})/);
    } finally {
      await proxy.stop();
    }
  });
});
