import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Counter, Gauge, Registry } from 'prom-client';
import { AppError } from '@app/http';
import { loadRedisConfig, REDIS_FAILING_FAST, RedisService } from '@app/redis';
import { TcpProxy } from '@app/testing';
import { loadCircuitBreakerConfig } from '../circuit-breaker/circuit-breaker.config';
import { CircuitBreakerRegistry } from '../circuit-breaker/circuit-breaker.registry';
import { RedisCircuit } from './redis-circuit';

const REDIS_URL = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
const COMMAND_TIMEOUT_MS = 150;
const COOLDOWN_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value, error: undefined as unknown }),
    (error: unknown) => ({ value: undefined, error }),
  );
const codeOf = (error: unknown) => (error instanceof AppError ? error.code : error);

/**
 * The 'redis' circuit against a real Redis behind a proxy that can stall (requests held, nothing
 * answered: a frozen server), with short timeouts so the cycle takes a second.
 */
describe('RedisCircuit', () => {
  const proxy = new TcpProxy(REDIS_URL.hostname, Number(REDIS_URL.port || 6379));
  let redis: RedisService;
  let registry: CircuitBreakerRegistry;
  let circuit: RedisCircuit;
  let calls: Counter<'name' | 'result'>;
  const key = `test:redis-circuit:${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    await proxy.start();
    const redisConfig = {
      ...loadRedisConfig({ NODE_ENV: 'test', REDIS_URL: `redis://127.0.0.1:${proxy.port}` }),
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      circuitCooldownMs: COOLDOWN_MS,
    };
    redis = new RedisService(redisConfig);
    await redis.waitUntilReady();
    const metrics = new Registry();
    const state = new Gauge({ name: 'circuit_state', help: 'h', labelNames: ['name'], registers: [metrics] });
    calls = new Counter({ name: 'circuit_calls_total', help: 'h', labelNames: ['name', 'result'], registers: [metrics] });
    const config = new ConfigService({ redis: redisConfig, circuitBreaker: loadCircuitBreakerConfig({}) });
    registry = new CircuitBreakerRegistry(config, { state, calls });
    circuit = new RedisCircuit(registry, redis, config);
  });

  afterAll(async () => {
    proxy.resume();
    registry.onApplicationShutdown();
    await redis.onApplicationShutdown();
    await proxy.stop();
  });

  const rejected = async () => (await calls.get()).values.find((v) => v.labels.name === 'redis' && v.labels.result === 'rejected')?.value ?? 0;

  it('is one circuit, the registry\'s "redis", bounded by the command timeout and opened by a single failure', () => {
    expect(registry.for('redis', { timeoutMs: COMMAND_TIMEOUT_MS, resetTimeoutMs: COOLDOWN_MS, consecutiveFailures: 1 }).options).toMatchObject({
      timeoutMs: COMMAND_TIMEOUT_MS,
      resetTimeoutMs: COOLDOWN_MS,
      consecutiveFailures: 1,
    });
    expect(circuit.state).toBe('closed');
  });

  it('passes answers and reply errors through while Redis answers; a wrong command stays a bug and does not open it', async () => {
    expect(await redis.run(() => (redis.client as NonNullable<RedisService['client']>).set(key, 'v'))).toBe('OK');
    const wrongType = await settle(redis.run(() => (redis.client as NonNullable<RedisService['client']>).lpush(key, 'x')));
    expect(wrongType.error).not.toBeInstanceOf(AppError);
    expect((wrongType.error as Error).message).toMatch(/^WRONGTYPE/);
    expect(circuit.state).toBe('closed');
    expect(redis.failingFast).toBe(false);
    await redis.client?.del(key);
  });

  it('stops waiting for a stalled Redis after the first timeout, probes it in the background, and closes when it answers', async () => {
    const client = redis.client as NonNullable<RedisService['client']>;
    let recovered = 0;
    redis.onRecovered(() => (recovered += 1));
    proxy.stall();

    // the first call waits out the command timeout: 504 (7041), and the circuit opens
    let started = performance.now();
    expect(codeOf((await settle(redis.run(() => client.get(key)))).error)).toBe(7041);
    expect(performance.now() - started).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 10);
    expect(circuit.state).toBe('open');
    expect(redis.failingFast).toBe(true);

    // from now on nobody waits: through the circuit 503 (7040), directly the gate's refusal
    const before = await rejected();
    started = performance.now();
    expect(codeOf((await settle(redis.run(() => client.get(key)))).error)).toBe(7040);
    expect((await settle(client.get(key))).error).toBe(REDIS_FAILING_FAST);
    expect(performance.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS / 2); // no command timeout waited out
    expect(await rejected()).toBe(before + 1);

    // half-open after the cool-down: the trial is our PING, still stalled, so callers keep failing
    // fast meanwhile (none of them is the trial) and it reopens after the PING's timeout
    await sleep(COOLDOWN_MS + 20);
    expect(circuit.state).toBe('halfOpen');
    started = performance.now();
    expect(codeOf((await settle(redis.run(() => client.get(key)))).error)).toBe(7040);
    expect(performance.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS / 2); // no command timeout waited out
    await sleep(COMMAND_TIMEOUT_MS + 20);
    expect(circuit.state).toBe('open');
    expect(recovered).toBe(0);

    // Redis answers again: the next trial closes the circuit within one cool-down
    proxy.resume();
    const resumedAt = performance.now();
    while (circuit.state !== 'closed' && performance.now() - resumedAt < 2 * (COOLDOWN_MS + COMMAND_TIMEOUT_MS)) await sleep(10);
    expect(circuit.state).toBe('closed');
    expect(performance.now() - resumedAt).toBeLessThan(COOLDOWN_MS + COMMAND_TIMEOUT_MS);
    expect(redis.failingFast).toBe(false);
    expect(recovered).toBe(1);
    expect(await redis.run(() => client.ping())).toBe('PONG');
  });

  it('opens on a dead connection too, and closes once Redis is reachable again', async () => {
    const client = redis.client as NonNullable<RedisService['client']>;
    await proxy.stop();
    while (client.status === 'ready') await sleep(5);
    expect(codeOf((await settle(redis.run(() => client.get(key)))).error)).toBe(7040);
    expect(circuit.state).toBe('open');
    await proxy.restart();
    const restartedAt = performance.now();
    while (circuit.state !== 'closed' && performance.now() - restartedAt < 5_000) await sleep(20);
    expect(circuit.state).toBe('closed');
  });
});
