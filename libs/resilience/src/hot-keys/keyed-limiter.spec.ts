import { ExhaustedKeys, KeyedLimiter } from './keyed-limiter';

describe('KeyedLimiter', () => {
  it('runs at most perKey at once per key, the rest in arrival order, and other keys freely', async () => {
    const limiter = new KeyedLimiter<number>(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const release: Array<() => void> = [];
    const job = (key: number, id: number) =>
      limiter.run([key], async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((done) => release.push(done));
        order.push(id);
        running -= 1;
      });
    const jobs = [1, 2, 3, 4, 5].map((id) => job(7, id));
    const other = job(8, 99);
    await new Promise((done) => setImmediate(done));
    expect(limiter.load(7)).toBe(5);
    expect(release).toHaveLength(3); // two of key 7, one of key 8
    while (release.length > 0) {
      release.shift()!();
      await new Promise((done) => setImmediate(done));
    }
    await Promise.all([...jobs, other]);
    expect(peak).toBeLessThanOrEqual(3);
    expect(order.filter((id) => id !== 99)).toEqual([1, 2, 3, 4, 5]);
    expect(limiter.load(7)).toBe(0);
  });

  it('frees the slot when the work throws', async () => {
    const limiter = new KeyedLimiter<string>(1);
    await expect(limiter.run(['a'], () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(['a'], async () => 'next')).resolves.toBe('next');
    expect(limiter.load('a')).toBe(0);
  });
});

describe('ExhaustedKeys', () => {
  it('remembers a key for ttlMs, and forgets it on demand', () => {
    const keys = new ExhaustedKeys<number>(1000);
    keys.mark(1, 0);
    expect(keys.has(1, 999)).toBe(true);
    expect(keys.has(1, 1000)).toBe(false);
    keys.mark(2, 0);
    keys.forget(2);
    expect(keys.has(2, 1)).toBe(false);
  });
});
