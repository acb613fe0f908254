import { jest } from '@jest/globals';
import { HttpStatus, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Counter, Gauge, Registry } from 'prom-client';
import { errors as undiciErrors } from 'undici';
import { AppError, CommonError } from '@app/http';
import { ResilienceError } from '../resilience.errors';
import type { CircuitBreakerOptions } from './circuit-breaker.config';
import { CircuitBreakerRegistry } from './circuit-breaker.registry';

const defaults: CircuitBreakerOptions = {
  timeoutMs: 200,
  errorThresholdPercent: 50,
  volumeThreshold: 4,
  resetTimeoutMs: 60,
  rollingWindowMs: 10_000,
  consecutiveFailures: 5,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ok = async () => 'fine';
const boom = async (): Promise<string> => {
  throw new Error('connection reset');
};
// jest's globals are not injected in ESM mode: count calls by hand
function counted<A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => R) & { calls: number } {
  const wrapped = Object.assign((...args: A) => {
    wrapped.calls += 1;
    return fn(...args);
  }, { calls: 0 });
  return wrapped;
}
const settle = <T>(promise: Promise<T>) => promise.then(
  (value) => ({ value }),
  (error: unknown) => ({ error }),
);

describe('CircuitBreakerRegistry / DependencyBreaker', () => {
  let registry: CircuitBreakerRegistry;
  let state: Gauge<'name'>;
  let calls: Counter<'name' | 'result'>;

  const stateOf = async (name: string) => (await state.get()).values.find((v) => v.labels.name === name)?.value;
  const callsOf = async (name: string, result: string) =>
    (await calls.get()).values.find((v) => v.labels.name === name && v.labels.result === result)?.value;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    const metrics = new Registry();
    state = new Gauge({ name: 'circuit_state', help: 'h', labelNames: ['name'], registers: [metrics] });
    calls = new Counter({ name: 'circuit_calls_total', help: 'h', labelNames: ['name', 'result'], registers: [metrics] });
    registry = new CircuitBreakerRegistry(new ConfigService({ circuitBreaker: defaults }), { state, calls });
  });

  afterEach(() => registry.onApplicationShutdown());

  it('gives every call site of a dependency the same circuit, created with the defaults and overrides', () => {
    const first = registry.for('wechat', { timeoutMs: 2_000 });
    expect(registry.for('wechat', { timeoutMs: 2_000 })).toBe(first);
    expect(first.options).toEqual({ ...defaults, timeoutMs: 2_000 });
    expect(registry.for('storage')).not.toBe(first);
  });

  it('stays closed below the minimum volume, opens once more than half the calls failed, then fails fast', async () => {
    const breaker = registry.for('wechat');
    expect(await stateOf('wechat')).toBe(0);
    for (let i = 0; i < 3; i += 1) await expect(breaker.execute(boom)).rejects.toMatchObject({ code: 7003 });
    expect(breaker.state).toBe('closed');

    await expect(breaker.execute(boom)).rejects.toMatchObject({ code: 7003 });
    expect(breaker.state).toBe('open');
    expect(await stateOf('wechat')).toBe(2);

    const action = counted(ok);
    const rejected = await settle(breaker.execute(action));
    expect(rejected).toEqual({ error: expect.any(AppError) });
    expect((rejected as { error: AppError }).error.definition).toBe(ResilienceError.CircuitOpen);
    expect((rejected as { error: AppError }).error.status).toBe(HttpStatus.SERVICE_UNAVAILABLE);
    expect(action.calls).toBe(0);
    expect(await callsOf('wechat', 'failure')).toBe(4);
    expect(await callsOf('wechat', 'rejected')).toBe(1);
    expect(await callsOf('wechat', 'success')).toBe(0);
  });

  it('does not open at exactly the threshold percentage', async () => {
    const breaker = registry.for('wechat');
    for (const action of [ok, ok, boom, boom]) await settle(breaker.execute(action));
    expect(breaker.state).toBe('closed');
    await settle(breaker.execute(boom));
    expect(breaker.state).toBe('open');
  });

  it('lets exactly one trial through when half-open; its success closes the circuit', async () => {
    const breaker = registry.for('wechat');
    for (let i = 0; i < 4; i += 1) await settle(breaker.execute(boom));
    await sleep(defaults.resetTimeoutMs + 20);
    expect(breaker.state).toBe('halfOpen');
    expect(await stateOf('wechat')).toBe(1);

    const trial = counted(async () => {
      await sleep(20);
      return 'recovered';
    });
    const results = await Promise.all([trial, trial, trial].map((action) => settle(breaker.execute(action))));
    expect(trial.calls).toBe(1);
    expect(results.filter((r) => 'value' in r)).toEqual([{ value: 'recovered' }]);
    expect(results.filter((r) => 'error' in r && (r.error as AppError).code === 7001)).toHaveLength(2);
    expect(breaker.state).toBe('closed');
    expect(await stateOf('wechat')).toBe(0);
  });

  it('opens again when the half-open trial fails', async () => {
    const breaker = registry.for('wechat');
    for (let i = 0; i < 4; i += 1) await settle(breaker.execute(boom));
    await sleep(defaults.resetTimeoutMs + 20);
    await expect(breaker.execute(boom)).rejects.toMatchObject({ code: 7003 });
    expect(breaker.state).toBe('open');
    expect(await stateOf('wechat')).toBe(2);
  });

  describe('consecutive failures', () => {
    // a volume the tests below never reach: only the run of failures can open these circuits
    const trickle = { volumeThreshold: 100, consecutiveFailures: 3, timeoutMs: 100 };
    // answers only by failing when the breaker aborts it
    const hang = (signal: AbortSignal) =>
      new Promise<string>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
    const refused = async (): Promise<string> => {
      throw new AppError(CommonError.Unauthorized);
    };

    it('opens after that many failures and timeouts in a row, below the volume threshold, then fails fast', async () => {
      const breaker = registry.for('trickle', trickle);
      await expect(breaker.execute(boom)).rejects.toMatchObject({ code: 7003 });
      await expect(breaker.execute(hang)).rejects.toMatchObject({ code: 7002 });
      expect(breaker.state).toBe('closed');
      await expect(breaker.execute(boom)).rejects.toMatchObject({ code: 7003 });
      expect(breaker.state).toBe('open');
      expect(await stateOf('trickle')).toBe(2);

      const action = counted(ok);
      await expect(breaker.execute(action)).rejects.toMatchObject({ code: 7001 });
      expect(action.calls).toBe(0);
      expect(await callsOf('trickle', 'failure')).toBe(2);
      expect(await callsOf('trickle', 'timeout')).toBe(1);
      expect(await callsOf('trickle', 'rejected')).toBe(1);
    });

    it('restarts the run on a success and on a 4xx (the dependency answered); a 4xx never counts as a failure', async () => {
      const breaker = registry.for('trickle', trickle);
      for (const action of [boom, boom, ok, boom, boom, refused, boom, boom]) await settle(breaker.execute(action));
      expect(breaker.state).toBe('closed');
      for (let i = 0; i < 5; i += 1) await settle(breaker.execute(refused));
      expect(breaker.state).toBe('closed');
      for (let i = 0; i < 2; i += 1) await settle(breaker.execute(boom));
      expect(breaker.state).toBe('closed');
      await settle(breaker.execute(boom));
      expect(breaker.state).toBe('open');
      expect(await callsOf('trickle', 'failure')).toBe(9);
      expect(await callsOf('trickle', 'success')).toBe(7);
    });

    it('is off at 0: only the percentage rule opens the circuit', async () => {
      const breaker = registry.for('trickle', { ...trickle, consecutiveFailures: 0 });
      for (let i = 0; i < 20; i += 1) await settle(breaker.execute(boom));
      expect(breaker.state).toBe('closed');
    });

    it('keeps half-open as it was: one trial, a failure reopens, a success closes and the next run starts from zero', async () => {
      const breaker = registry.for('trickle', trickle);
      for (let i = 0; i < 3; i += 1) await settle(breaker.execute(boom));
      expect(breaker.state).toBe('open');

      await sleep(defaults.resetTimeoutMs + 20);
      expect(breaker.state).toBe('halfOpen');
      expect(await stateOf('trickle')).toBe(1);
      await expect(breaker.execute(hang)).rejects.toMatchObject({ code: 7002 });
      expect(breaker.state).toBe('open');
      expect(await stateOf('trickle')).toBe(2);

      await sleep(defaults.resetTimeoutMs + 20);
      const trial = counted(async () => {
        await sleep(10);
        return 'recovered';
      });
      const results = await Promise.all([trial, trial, trial].map((action) => settle(breaker.execute(action))));
      expect(trial.calls).toBe(1);
      expect(results.filter((r) => 'value' in r)).toEqual([{ value: 'recovered' }]);
      expect(breaker.state).toBe('closed');
      expect(await stateOf('trickle')).toBe(0);

      for (let i = 0; i < 2; i += 1) await settle(breaker.execute(boom));
      expect(breaker.state).toBe('closed');
      await settle(breaker.execute(boom));
      expect(breaker.state).toBe('open');
    });
  });

  it('answers a slow call with 504, aborts it, and counts it as a timeout only', async () => {
    const breaker = registry.for('slow', { timeoutMs: 20 });
    let signal: AbortSignal | undefined;
    const outcome = await settle(
      breaker.execute(async (s) => {
        signal = s;
        await sleep(100);
        return 'late';
      }),
    );
    expect((outcome as { error: AppError }).error.definition).toBe(ResilienceError.DependencyTimeout);
    expect(signal?.aborted).toBe(true);
    expect(await callsOf('slow', 'timeout')).toBe(1);
    expect(await callsOf('slow', 'failure')).toBe(0);
  });

  it.each([
    ['undici connect timeout', () => new undiciErrors.ConnectTimeoutError()],
    ['undici headers timeout', () => new undiciErrors.HeadersTimeoutError()],
    ['undici body timeout', () => new undiciErrors.BodyTimeoutError()],
    ['fetch failed (cause: headers timeout)', () => new TypeError('fetch failed', { cause: new undiciErrors.HeadersTimeoutError() })],
    ['socket connect ETIMEDOUT', () => Object.assign(new Error('connect ETIMEDOUT 10.0.0.1:443'), { code: 'ETIMEDOUT' })],
  ])('answers a transport timeout that fires before the breaker (%s) with 504 too, counted as a timeout', async (_name, timeoutError) => {
    const breaker = registry.for('transport', { timeoutMs: 1_000 });
    const outcome = await settle(breaker.execute(() => Promise.reject(timeoutError())));
    const error = (outcome as { error: AppError }).error;
    expect(error.definition).toBe(ResilienceError.DependencyTimeout);
    expect(error.status).toBe(HttpStatus.GATEWAY_TIMEOUT);
    expect(await callsOf('transport', 'timeout')).toBe(1);
    expect(await callsOf('transport', 'failure')).toBe(0);
    // a route guarded by @CircuitBreaker answers a timeout with 504 as well, not with a 500
    await expect(registry.for('transport-route').guard(() => Promise.reject(timeoutError()))).rejects.toMatchObject({ code: 7002 });
  });

  it('leaves an AppError alone even when its cause was a timeout: the code that threw it chose the answer', async () => {
    const declared = new AppError(CommonError.ServiceUnavailable, { cause: new undiciErrors.HeadersTimeoutError() });
    await expect(registry.for('wechat').execute(() => Promise.reject(declared))).rejects.toBe(declared);
  });

  it('passes a 4xx answer through without counting it against the dependency', async () => {
    const breaker = registry.for('wechat');
    const refused = async (): Promise<string> => {
      throw new AppError(CommonError.Unauthorized);
    };
    for (let i = 0; i < 6; i += 1) {
      await expect(breaker.execute(refused)).rejects.toMatchObject({ definition: CommonError.Unauthorized });
    }
    expect(breaker.state).toBe('closed');
  });

  it('wraps any other failure as 502 keeping the cause', async () => {
    const outcome = await settle(registry.for('wechat').execute(boom));
    const error = (outcome as { error: AppError }).error;
    expect(error.definition).toBe(ResilienceError.DependencyFailed);
    expect((error.cause as Error).message).toBe('connection reset');
  });

  it('answers with the fallback when the dependency fails or the circuit is open, never for a 4xx', async () => {
    const breaker = registry.for('wechat');
    const fallback = counted((error: AppError) => `cached (${error.code})`);
    await expect(breaker.execute(boom, { fallback })).resolves.toBe('cached (7003)');
    breaker['breaker'].open();
    await expect(breaker.execute(ok, { fallback })).resolves.toBe('cached (7001)');
    breaker['breaker'].close();
    const refused = async (): Promise<string> => {
      throw new AppError(CommonError.NotFound);
    };
    await expect(breaker.execute(refused, { fallback })).rejects.toMatchObject({ code: CommonError.NotFound.code });
  });

  it('retries transient failures when asked, but not an open circuit', async () => {
    const breaker = registry.for('storage', { volumeThreshold: 100 });
    let attempts = 0;
    const flaky = async () => {
      attempts += 1;
      if (attempts < 3) throw new Error('flaky');
      return 'stored';
    };
    const retry = { retries: 3, baseDelayMs: 1, maxDelayMs: 2 };
    await expect(breaker.execute(flaky, { retry })).resolves.toBe('stored');
    expect(attempts).toBe(3);

    breaker['breaker'].open();
    const action = counted(ok);
    await expect(breaker.execute(action, { retry })).rejects.toMatchObject({ code: 7001 });
    expect(await callsOf('storage', 'rejected')).toBe(1);
  });

  describe('as a gate (admits / recordFailure / recordSuccess: the database pool)', () => {
    const gateOptions = { consecutiveFailures: 3, volumeThreshold: 100, timeoutMs: 100 };
    const stalled = Object.assign(new Error('no database connection became free within 3000 ms'), { code: 'DB_ACQUIRE_TIMEOUT' });
    const unusedProbe = counted(async () => undefined);

    it('admits everything while closed and opens after that many failures in a row, then refuses at once', async () => {
      const gate = registry.for('database', gateOptions);
      expect(gate.admits(unusedProbe)).toBe(true);
      gate.recordFailure(stalled, 'timeout');
      gate.recordFailure(stalled, 'timeout');
      expect(gate.state).toBe('closed');
      gate.recordFailure(new Error('connect ECONNREFUSED'), 'failure');
      expect(gate.state).toBe('open');
      expect(await stateOf('database')).toBe(2);

      expect(gate.admits(unusedProbe)).toBe(false);
      expect(gate.admits(unusedProbe)).toBe(false);
      expect(unusedProbe.calls).toBe(0);
      expect(await callsOf('database', 'timeout')).toBe(2);
      expect(await callsOf('database', 'failure')).toBe(1);
      expect(await callsOf('database', 'rejected')).toBe(2);
    });

    it('restarts the run on a success; failures reported while open change nothing', async () => {
      const gate = registry.for('database', gateOptions);
      gate.recordFailure(stalled, 'timeout');
      gate.recordFailure(stalled, 'timeout');
      gate.recordSuccess();
      gate.recordFailure(stalled, 'timeout');
      gate.recordFailure(stalled, 'timeout');
      expect(gate.state).toBe('closed');
      gate.recordFailure(stalled, 'timeout');
      expect(gate.state).toBe('open');
      gate.recordFailure(stalled, 'timeout');
      expect(await callsOf('database', 'timeout')).toBe(5);
    });

    it('once half-open, runs the probe in the background (callers keep failing fast); its success closes the circuit', async () => {
      const gate = registry.for('database', gateOptions);
      for (let i = 0; i < 3; i += 1) gate.recordFailure(stalled, 'timeout');
      await sleep(defaults.resetTimeoutMs + 20);
      expect(gate.state).toBe('halfOpen');

      let answer: () => void = () => undefined;
      const probe = counted(() => new Promise<void>((resolve) => (answer = resolve)));
      expect(gate.admits(probe)).toBe(false);
      expect(gate.admits(probe)).toBe(false);
      expect(probe.calls).toBe(1);
      answer();
      await sleep(1);
      expect(gate.state).toBe('closed');
      expect(gate.admits(probe)).toBe(true);
      expect(await callsOf('database', 'success')).toBe(1);
    });

    it('reopens when the probe fails or outlives timeoutMs, and probes again after the next cool-down', async () => {
      const gate = registry.for('database', gateOptions);
      for (let i = 0; i < 3; i += 1) gate.recordFailure(stalled, 'timeout');
      await sleep(defaults.resetTimeoutMs + 20);
      const silent = counted(() => new Promise<void>(() => undefined));
      expect(gate.admits(silent)).toBe(false);
      await sleep(gateOptions.timeoutMs + 20);
      expect(gate.state).toBe('open');

      await sleep(defaults.resetTimeoutMs + 20);
      const refusing = counted(async (): Promise<void> => {
        throw new Error('connect ECONNREFUSED');
      });
      expect(gate.admits(refusing)).toBe(false);
      await sleep(1);
      expect(gate.state).toBe('open');
      expect([silent.calls, refusing.calls]).toEqual([1, 1]);
    });
  });

  it('guard() lets a handler error through unchanged', async () => {
    const bug = new TypeError('undefined is not a function');
    await expect(registry.for('route').guard(() => Promise.reject(bug))).rejects.toBe(bug);
  });

  it('run() is execute() without a signal: the same circuit and the same 504/503/502, passing 4xx and fallbacks', async () => {
    const breaker = registry.for('lean', { timeoutMs: 30, consecutiveFailures: 2 });
    expect(await breaker.run(ok)).toBe('fine');
    const slow = () => sleep(60).then(() => 'late');
    expect(((await settle(breaker.run(slow))) as { error: AppError }).error.code).toBe(7002);
    const failed = (await settle(breaker.run(boom))) as { error: AppError };
    expect([failed.error.code, (failed.error.cause as Error).message]).toEqual([7003, 'connection reset']);
    expect(breaker.state).toBe('open');
    expect(((await settle(breaker.run(ok))) as { error: AppError }).error.code).toBe(7001);
    expect(await breaker.run(ok, (error) => `fallback for ${error.code}`)).toBe('fallback for 7001');
    expect(await callsOf('lean', 'timeout')).toBe(1);
    expect(await callsOf('lean', 'rejected')).toBe(2);
    const notFound = new AppError(CommonError.NotFound);
    await sleep(defaults.resetTimeoutMs + 20);
    await expect(breaker.run(() => Promise.reject(notFound), () => 'unused')).rejects.toBe(notFound);
    expect(breaker.state).toBe('closed');
  });

  it('counts an error it is told is an answer as a success: passed on (as the cause), it never opens the circuit', async () => {
    const breaker = registry.for('redis', { consecutiveFailures: 1 });
    const refusal = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
    breaker.treatAsAnswer((error) => error === refusal);
    for (let i = 0; i < 5; i += 1) {
      const outcome = await settle(breaker.execute(() => Promise.reject(refusal)));
      expect((outcome as { error: AppError }).error.cause).toBe(refusal);
    }
    expect(breaker.state).toBe('closed');
    expect(await callsOf('redis', 'success')).toBe(5);
    await settle(breaker.execute(boom));
    expect(breaker.state).toBe('open');
  });

  it('tells state listeners of each transition synchronously: a call made on half-open is the one trial', async () => {
    const breaker = registry.for('probed', { consecutiveFailures: 1 });
    const seen: string[] = [];
    const probe = counted(async () => 'pong');
    breaker.onStateChange((state) => {
      seen.push(state);
      if (state === 'halfOpen') void settle(breaker.execute(probe));
    });
    await settle(breaker.execute(boom));
    await sleep(defaults.resetTimeoutMs + 20);
    // the probe took the trial and closed the circuit before any caller came
    expect(probe.calls).toBe(1);
    expect(seen).toEqual(['open', 'halfOpen', 'closed']);
    expect(await breaker.execute(ok)).toBe('fine');
  });

  describe('logging an outage', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    beforeEach(() => {
      warn.mockClear();
      log.mockClear();
    });
    afterAll(() => {
      warn.mockRestore();
      log.mockRestore();
    });

    it('logs every transition by default', async () => {
      const breaker = registry.for('plain', { consecutiveFailures: 1, resetTimeoutMs: 50 });
      await settle(breaker.execute(boom));
      await sleep(60);
      await settle(breaker.execute(boom));
      expect(warn.mock.calls.map(([, message]) => String(message))).toEqual([
        expect.stringContaining('circuit plain opened (consecutiveFailures)'),
        expect.stringContaining('circuit plain opened (halfOpenTrialFailed)'),
      ]);
      expect(log).toHaveBeenCalledWith({ circuit: 'plain', state: 'halfOpen' }, expect.stringContaining('half-open'));
    });

    it('with logTrialsAsSummary: warns when it opens, not each time a trial fails, and logs the close with the outage', async () => {
      const breaker = registry.for('flapping', { consecutiveFailures: 1, resetTimeoutMs: 100 });
      breaker.logTrialsAsSummary();
      await settle(breaker.execute(boom));
      for (let trial = 0; trial < 4; trial += 1) {
        await sleep(110);
        expect(breaker.state).toBe('halfOpen');
        await settle(breaker.execute(boom));
        expect(breaker.state).toBe('open');
        await settle(breaker.execute(ok));
      }
      expect(warn.mock.calls.map(([, message]) => String(message))).toEqual([expect.stringContaining('circuit flapping opened (consecutiveFailures)')]);
      await sleep(110);
      await breaker.execute(ok);
      expect(breaker.state).toBe('closed');
      expect(log).toHaveBeenCalledWith(
        expect.objectContaining({ circuit: 'flapping', state: 'closed', failedTrials: 4, rejected: 4, openForMs: expect.any(Number) }),
        'circuit flapping closed: calls go through again',
      );
    });
  });
});
