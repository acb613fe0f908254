import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Redis } from 'ioredis';
import { Counter, Gauge, Registry } from 'prom-client';
// deep imports: the libraries' index files pull in Nest modules whose CommonJS builds cannot
// require the ESM-only @nestjs/common under jest
import { CircuitBreakerRegistry } from '../libs/resilience/src/circuit-breaker/circuit-breaker.registry';
import { ResilienceError } from '../libs/resilience/src/resilience.errors';
import { RedisAccessTokenStore } from '../libs/wechat/src/access-token.store';
import { WechatApiClient } from '../libs/wechat/src/wechat-api.client';
import type { WechatConfig } from '../libs/wechat/src/wechat.config';
import { WechatError } from '../libs/wechat/src/wechat.errors';
import { createWechatEmulator } from '../apps/wechat-emulator/src/emulator';
import { appErrorOf as failure } from './support/app-errors';
import { testServices } from './support/environment';

/**
 * The real WeChat client (undici pool, circuit breaker, errcode mapping, shared token) against
 * the project's WeChat emulator over HTTP, and the shared access token on the real Redis.
 */
describe('WeChat client against the emulator (real HTTP, real Redis)', () => {
  const appId = 'wx-e2e-app';
  const appSecret = 'e2e-secret';
  const emulator = createWechatEmulator({ appId, appSecret });
  let baseUrl: string;
  let redis: Redis;
  let breakers: CircuitBreakerRegistry;
  const clients: WechatApiClient[] = [];

  const config = (overrides: Partial<WechatConfig> = {}): WechatConfig => ({
    appId,
    appSecret,
    apiBase: baseUrl,
    timeoutMs: 300,
    poolConnections: 8,
    tokenRefreshAheadMs: 60_000,
    credentialsMissing: false,
    ...overrides,
  });
  const tokenKey = `e2e:wechat:token:${randomBytes(4).toString('hex')}`;
  const newClient = (overrides: Partial<WechatConfig> = {}, circuit = 'wechat'): WechatApiClient => {
    const clientConfig = config(overrides);
    // as WechatModule wires it: WECHAT_TIMEOUT_MS is the circuit's call timeout
    const client = new WechatApiClient(
      clientConfig,
      breakers.for(circuit, { timeoutMs: clientConfig.timeoutMs }),
      new RedisAccessTokenStore(redis, tokenKey),
    );
    clients.push(client);
    return client;
  };
  const control = async (path: string, body: unknown) => {
    const response = await fetch(`${baseUrl}/__control/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
  };
  const stats = async () => (await (await fetch(`${baseUrl}/__control/stats`)).json()) as { calls: Record<string, number>; tokensIssued: number };
  beforeAll(async () => {
    Logger.overrideLogger(false);
    await emulator.app.listen({ port: 0, host: '127.0.0.1' });
    const address = emulator.app.server.address() as { port: number };
    baseUrl = `http://127.0.0.1:${address.port}`;
    redis = new Redis(testServices.redisUrl, { maxRetriesPerRequest: 1 });
  });

  beforeEach(async () => {
    const metrics = new Registry();
    breakers = new CircuitBreakerRegistry(
      new ConfigService({
        circuitBreaker: {
          timeoutMs: 800,
          errorThresholdPercent: 50,
          volumeThreshold: 4,
          resetTimeoutMs: 200,
          rollingWindowMs: 10_000,
          consecutiveFailures: 5,
        },
      }),
      {
        state: new Gauge({ name: 'circuit_state', help: 'h', labelNames: ['name'], registers: [metrics] }),
        calls: new Counter({ name: 'circuit_calls_total', help: 'h', labelNames: ['name', 'result'], registers: [metrics] }),
      },
    );
    await control('reset', {});
    await redis.del(tokenKey);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    breakers.onApplicationShutdown();
  });

  afterAll(async () => {
    await redis.del(tokenKey);
    await redis.quit();
    await emulator.app.close();
  });

  it('exchanges a registered code for openid, session_key and unionid', async () => {
    await control('codes', { code: 'c-ok', openid: 'o-registered', session_key: 'c2Vzc2lvbg==', unionid: 'u-1' });
    await expect(newClient().code2Session('c-ok')).resolves.toEqual({ openid: 'o-registered', sessionKey: 'c2Vzc2lvbg==', unionid: 'u-1' });
  });

  it.each([
    [40029, 401, WechatError.InvalidCode],
    [40163, 401, WechatError.CodeUsed],
    [45011, 429, WechatError.FrequencyLimited],
    [40226, 403, WechatError.HighRiskUser],
    [61234, 502, WechatError.UpstreamError],
  ])('maps errcode %i to HTTP %i with our code', async (errcode, status, definition) => {
    await control('codes', { code: `c-${errcode}`, errcode });
    const error = await failure(newClient().code2Session(`c-${errcode}`));
    expect(error.definition).toBe(definition);
    expect(error.status).toBe(status);
  });

  it('answers 40163 for a code exchanged twice (single use, like WeChat)', async () => {
    const client = newClient();
    await client.code2Session('reused-code');
    expect((await failure(client.code2Session('reused-code'))).definition).toBe(WechatError.CodeUsed);
  });

  it('retries system busy (-1) once, then answers 503', async () => {
    await control('faults', { path: '/sns/jscode2session', times: 1, errcode: -1 });
    await expect(newClient().code2Session('busy-once')).resolves.toMatchObject({ openid: expect.any(String) });
    expect((await stats()).calls['/sns/jscode2session']).toBe(2);

    await control('faults', { path: '/sns/jscode2session', times: 2, errcode: -1 });
    const error = await failure(newClient().code2Session('busy-twice'));
    expect(error.definition).toBe(WechatError.Busy);
    expect(error.status).toBe(503);
    expect((await stats()).calls['/sns/jscode2session']).toBe(4);
  });

  it('a wrong AppSecret is our misconfiguration: 503, not 500', async () => {
    const error = await failure(newClient({ appSecret: 'wrong' }).code2Session('any'));
    expect(error.definition).toBe(WechatError.Misconfigured);
    expect(error.status).toBe(503);
  });

  it('times out a stalled call with 504 (never 502) and opens the circuit after repeated failures, then fails fast', async () => {
    const client = newClient({}, 'wechat-timeouts');
    await control('faults', { path: '/sns/jscode2session', times: 4, delayMs: 1000 });
    for (let i = 0; i < 4; i += 1) {
      const error = await failure(client.code2Session(`slow-${i}`));
      expect(error.definition).toBe(ResilienceError.DependencyTimeout);
      expect(error.status).toBe(504);
    }
    // one call each: a code exchange is not retried after a timeout
    expect((await stats()).calls['/sns/jscode2session']).toBe(4);
    expect(breakers.for('wechat-timeouts').state).toBe('open');
    const started = performance.now();
    const fast = await failure(client.code2Session('while-open'));
    expect(fast.definition).toBe(ResilienceError.CircuitOpen);
    // not the 1 s the stalled endpoint would take (a bound, not a speed check: a busy host steals ms)
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('business errcodes never open the circuit', async () => {
    const client = newClient({}, 'wechat-business');
    for (let i = 0; i < 6; i += 1) {
      await control('codes', { code: `bad-${i}`, errcode: 40029 });
      await failure(client.code2Session(`bad-${i}`));
    }
    expect(breakers.for('wechat-business').state).toBe('closed');
  });

  it('fetches the access token once for 50 concurrent phone lookups and shares it with a second instance via Redis', async () => {
    for (let i = 0; i < 50; i += 1) await control('phones', { code: `p-${i}`, phoneNumber: `1380000${String(i).padStart(4, '0')}` });
    const first = newClient();
    const phones = await Promise.all(Array.from({ length: 50 }, (_, i) => first.getPhoneNumber(`p-${i}`)));
    expect(phones[7]).toEqual({ phoneNumber: '13800000007', purePhoneNumber: '13800000007', countryCode: '86' });
    expect((await stats()).tokensIssued).toBe(1);

    const second = newClient();
    await control('phones', { code: 'p-second', phoneNumber: '13900000000' });
    await expect(second.getPhoneNumber('p-second')).resolves.toMatchObject({ purePhoneNumber: '13900000000' });
    expect((await stats()).tokensIssued).toBe(1);
    expect(JSON.parse((await redis.get(tokenKey)) ?? '{}')).toMatchObject({ token: expect.stringMatching(/^emu_/) });
  });

  it('refreshes the token once when WeChat rejects it (40001/42001), and maps a bad phone code to 400', async () => {
    const client = newClient();
    await control('phones', { code: 'p-a', phoneNumber: '13800000001' });
    await client.getPhoneNumber('p-a');
    await control('tokens/expire', {});
    await control('phones', { code: 'p-b', phoneNumber: '13800000002' });
    await expect(client.getPhoneNumber('p-b')).resolves.toMatchObject({ purePhoneNumber: '13800000002' });
    expect((await stats()).tokensIssued).toBe(2);

    const error = await failure(client.getPhoneNumber('never-registered'));
    expect(error.definition).toBe(WechatError.InvalidPhoneCode);
    expect(error.status).toBe(400);
  });
});
