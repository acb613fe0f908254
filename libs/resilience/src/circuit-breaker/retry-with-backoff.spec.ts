import { backoffDelayMs, retryWithBackoff } from './retry-with-backoff';

const delays = { baseDelayMs: 100, maxDelayMs: 300 };

describe('backoffDelayMs', () => {
  it('doubles the ceiling on each retry up to the cap', () => {
    const top = () => 0.999_999;
    expect([0, 1, 2, 3, 10].map((retry) => backoffDelayMs(retry, delays, top))).toEqual([99, 199, 299, 299, 299]);
  });

  it('draws uniformly below the ceiling (full jitter)', () => {
    expect(backoffDelayMs(1, delays, () => 0)).toBe(0);
    expect(backoffDelayMs(1, delays, () => 0.5)).toBe(100);
  });

  it('stays capped for retry counts where the exponential overflows', () => {
    expect(backoffDelayMs(5_000, delays, () => 0.5)).toBe(150);
  });
});

describe('retryWithBackoff', () => {
  // jest's globals are not injected in ESM mode: count calls by hand
  const failingTimes = (failures: number) => {
    const fn = async (attempt: number) => {
      fn.calls += 1;
      if (fn.calls <= failures) throw new Error(`failure ${fn.calls}`);
      return `ok after ${attempt} retries`;
    };
    fn.calls = 0;
    return fn;
  };

  it('retries until the call succeeds, waiting the jittered backoff between attempts', async () => {
    const sleeps: number[] = [];
    const fn = failingTimes(2);
    const result = await retryWithBackoff(fn, {
      retries: 3,
      ...delays,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(result).toBe('ok after 2 retries');
    expect(fn.calls).toBe(3);
    expect(sleeps).toEqual([50, 100]);
  });

  it('gives up after the given number of retries with the last error', async () => {
    const fn = failingTimes(10);
    await expect(retryWithBackoff(fn, { retries: 2, ...delays, sleep: async () => undefined })).rejects.toThrow(
      'failure 3',
    );
    expect(fn.calls).toBe(3);
  });

  it('does not retry an error the caller says is not retryable', async () => {
    const fn = failingTimes(10);
    const isRetryable = (error: unknown) => !(error as Error).message.endsWith('1');
    await expect(
      retryWithBackoff(fn, { retries: 5, ...delays, isRetryable, sleep: async () => undefined }),
    ).rejects.toThrow('failure 1');
    expect(fn.calls).toBe(1);
  });

  it('really waits between attempts by default', async () => {
    const fn = failingTimes(1);
    const started = performance.now();
    await retryWithBackoff(fn, { retries: 1, baseDelayMs: 20, maxDelayMs: 20, random: () => 0.999 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });
});
