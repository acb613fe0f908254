import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BullJobBackend, QueueUnreachableError } from './bull-job-backend';
import type { RepeatOptions } from './job-backend';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE = 'test.sweep';
const EVERY: RepeatOptions = { everyMs: 3_600_000, attempts: 1, backoffMs: 1000, backoffJitter: 0, keepCompletedS: 60, keepFailedS: 60 };

const until = async (check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

// the production profile's producer connection (jobs.module.ts): fails fast, no offline queue
const producerClient = (lazyConnect = false) => new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect });

describe('BullJobBackend keeps its repeating schedules in Redis (real Redis)', () => {
  let prefix: string;
  let backend: BullJobBackend | undefined;
  let observer: Queue;
  let observerConnection: Redis;

  const schedulerOf = (id: string) => observer.getJobScheduler(id);
  const start = (producer: Redis) => {
    backend = new BullJobBackend({
      producer,
      worker: new Redis(REDIS_URL, { maxRetriesPerRequest: null }),
      prefix,
      commandTimeoutMs: 1000,
      lockMs: 30_000,
      scheduleKeepMs: 100,
    });
    return backend;
  };

  beforeEach(() => {
    prefix = `test-keeper-${randomBytes(4).toString('hex')}`;
    observerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    observer = new Queue(QUEUE, { connection: observerConnection, prefix });
  });

  afterEach(async () => {
    await backend?.close();
    backend = undefined;
    await observer.obliterate({ force: true });
    await observer.close();
    await observerConnection.quit();
  });

  it('writes a schedule again after Redis lost it, without moving its next run', async () => {
    const producer = producerClient();
    await until(async () => producer.status === 'ready');
    const jobs = start(producer);
    await jobs.upsertRepeat(QUEUE, 'sweep-1', { payload: {} }, EVERY);
    const first = await schedulerOf('sweep-1');
    expect(first?.every).toBe(EVERY.everyMs);

    // written again several times: the next run stays where it was
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await schedulerOf('sweep-1'))?.next).toBe(first?.next);

    // what a Redis restarted without its data, or an empty replica after a failover, looks like
    await observer.removeJobScheduler('sweep-1');
    expect(await schedulerOf('sweep-1')).toBeUndefined();
    await until(async () => (await schedulerOf('sweep-1')) !== undefined);
    expect((await schedulerOf('sweep-1'))?.every).toBe(EVERY.everyMs);
  });

  it('writes a schedule asked for while Redis was unreachable once Redis answers', async () => {
    const producer = producerClient(true);
    const jobs = start(producer);
    await expect(jobs.upsertRepeat(QUEUE, 'sweep-2', { payload: {} }, EVERY)).rejects.toBeInstanceOf(QueueUnreachableError);
    expect(await schedulerOf('sweep-2')).toBeUndefined();
    await producer.connect();
    await until(async () => (await schedulerOf('sweep-2')) !== undefined);
  });

  it('stops writing a schedule once it is removed', async () => {
    const producer = producerClient();
    await until(async () => producer.status === 'ready');
    const jobs = start(producer);
    await jobs.upsertRepeat(QUEUE, 'sweep-3', { payload: {} }, EVERY);
    expect(await jobs.removeRepeat(QUEUE, 'sweep-3')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await schedulerOf('sweep-3')).toBeUndefined();
  });
});
