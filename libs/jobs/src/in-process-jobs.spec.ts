import { ConfigService } from '@nestjs/config';
import { IsBoolean, IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import { loadAppConfig } from '@app/config';
import { AppError } from '@app/http';
import { DeadLetters } from './dead-letters';
import { InProcessJobBackend } from './in-process-job-backend';
import { PermanentJobError } from './job-errors';
import type { JobContext } from './job-handler.decorator';
import { JobRegistry } from './job-registry';
import { defineJob } from './job-type';
import { JobWorkers } from './job-workers';
import { loadJobsConfig } from './jobs.config';
import { JobsError } from './jobs.errors';
import { Jobs } from './jobs.service';
import { InvalidPayloadError } from './payload-validation';

class TaskPayload {
  @IsString()
  @MaxLength(40)
  key!: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  failTimes?: number;

  @IsOptional()
  @IsBoolean()
  permanent?: boolean;

  @IsOptional()
  @IsInt()
  sleepMs?: number;
}

const Task = defineJob({ name: 'test.task', payload: TaskPayload, backoffMs: 40, concurrency: 2, timeoutMs: 300 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The embedded profile's queue, driven through the same services the app uses. */
function embeddedQueue(role: 'all' | 'api' = 'all') {
  const backend = new InProcessJobBackend();
  const registry = new JobRegistry();
  const config = new ConfigService({ app: { ...loadAppConfig({}), role }, jobs: loadJobsConfig({ JOBS_SHUTDOWN_GRACE_MS: '200' }) });
  const runs: Array<{ key: string; attempt: number; at: number }> = [];
  const active = { now: 0, max: 0 };
  registry.register(
    Task,
    async (payload: TaskPayload, job: JobContext) => {
      runs.push({ key: payload.key, attempt: job.attempt, at: Date.now() });
      active.now += 1;
      active.max = Math.max(active.max, active.now);
      try {
        if (payload.sleepMs) await sleep(payload.sleepMs);
        if (payload.permanent && runs.filter((run) => run.key === payload.key).length === 1) throw new PermanentJobError('refused by the user');
        if (runs.filter((run) => run.key === payload.key).length <= (payload.failTimes ?? 0)) throw new Error('flaky dependency');
      } finally {
        active.now -= 1;
      }
    },
    'spec',
  );
  const observed: string[] = [];
  const workers = new JobWorkers(backend, { observe: (queue, outcome) => observed.push(`${queue}:${outcome}`) }, registry, config);
  return {
    backend,
    jobs: new Jobs(backend, config),
    deadLetters: new DeadLetters(backend, registry),
    workers,
    runs,
    active,
    observed,
    runsOf: (key: string) => runs.filter((run) => run.key === key),
  };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('jobs in the embedded profile (in-process runner)', () => {
  let queue: ReturnType<typeof embeddedQueue>;
  beforeEach(async () => {
    queue = embeddedQueue();
    await queue.workers.onApplicationBootstrap();
  });
  afterEach(async () => {
    await queue.workers.onModuleDestroy();
    await queue.backend.close();
  });

  it('validates the payload on enqueue: a bad one throws in the caller and nothing is queued', async () => {
    await expect(queue.jobs.enqueue(Task, { key: 42 } as unknown as TaskPayload)).rejects.toThrow(InvalidPayloadError);
    await expect(queue.jobs.enqueue(Task, { key: 'a', role: 'admin' } as unknown as TaskPayload)).rejects.toThrow(/property role should not exist/);
    await expect(queue.jobs.enqueue(Task, { key: 'a' }, { id: 'has:colon' })).rejects.toThrow(/job id/);
    expect(await queue.backend.counts(Task.name)).toMatchObject({ waiting: 0, delayed: 0, completed: 0 });
  });

  it('runs a delayed job once at its time, however often it is enqueued under one id', async () => {
    const runAt = new Date(Date.now() + 150);
    const ids = await Promise.all([
      queue.jobs.enqueue(Task, { key: 'delayed' }, { id: 'order-7-timeout', runAt }),
      queue.jobs.enqueue(Task, { key: 'delayed' }, { id: 'order-7-timeout', runAt }),
    ]);
    expect(ids).toEqual(['order-7-timeout', 'order-7-timeout']);
    expect((await queue.backend.counts(Task.name)).delayed).toBe(1);
    await until(() => queue.runsOf('delayed').length > 0);
    await sleep(100);
    expect(queue.runsOf('delayed')).toHaveLength(1);
    // never early (timer granularity aside); how late depends on the machine's load, so only a bound
    const lateByMs = queue.runsOf('delayed')[0].at - runAt.getTime();
    expect(lateByMs).toBeGreaterThanOrEqual(-5);
    expect(lateByMs).toBeLessThan(1_000);
    // a finished id is remembered: enqueuing it again is still a no-op
    await queue.jobs.enqueue(Task, { key: 'delayed' }, { id: 'order-7-timeout' });
    await sleep(50);
    expect(queue.runsOf('delayed')).toHaveLength(1);
  });

  it('retries with growing gaps: 3 failures then success is 4 runs', async () => {
    await queue.jobs.enqueue(Task, { key: 'flaky', failTimes: 3 });
    await until(() => queue.runsOf('flaky').length === 4);
    const at = queue.runsOf('flaky').map((run) => run.at);
    const gaps = at.slice(1).map((time, index) => time - at[index]);
    expect(queue.runsOf('flaky').map((run) => run.attempt)).toEqual([1, 2, 3, 4]);
    // 40·2^n ms minus up to 25% jitter: [30-40], [60-80], [120-160]
    expect(gaps[0]).toBeGreaterThanOrEqual(29);
    expect(gaps[1]).toBeGreaterThan(gaps[0]);
    expect(gaps[2]).toBeGreaterThan(gaps[1]);
    await sleep(20);
    expect(await queue.backend.counts(Task.name)).toMatchObject({ completed: 1, failed: 0 });
    expect(queue.observed.filter((entry) => entry === 'test.task:failed')).toHaveLength(3);
  });

  it('dead-letters a permanent failure at once; retry runs it again and takes it off the list', async () => {
    const id = await queue.jobs.enqueue(Task, { key: 'refused', permanent: true });
    await until(async () => (await queue.deadLetters.list({ page: 1, pageSize: 10 })).total === 1);
    const page = await queue.deadLetters.list({ type: Task.name, page: 1, pageSize: 10 });
    expect(page.items).toEqual([
      expect.objectContaining({ id: `test.task:${id}`, type: 'test.task', jobId: id, attempts: 1, reason: 'refused by the user', payload: { key: 'refused', permanent: true } }),
    ]);
    await queue.deadLetters.retry(`test.task:${id}`);
    await until(() => queue.runsOf('refused').length === 2);
    await until(async () => (await queue.backend.counts(Task.name)).completed === 1);
    expect((await queue.deadLetters.list({ page: 1, pageSize: 10 })).total).toBe(0);
    await expect(queue.deadLetters.retry(`test.task:${id}`)).rejects.toMatchObject({ definition: JobsError.JobNotFailed });
  });

  it('dead-letters a job after its last attempt, and deletes it on request', async () => {
    const id = await queue.jobs.enqueue(Task, { key: 'hopeless', failTimes: 99 });
    await until(async () => (await queue.backend.counts(Task.name)).failed === 1, 5_000);
    expect(queue.runsOf('hopeless')).toHaveLength(5);
    expect((await queue.deadLetters.get(`test.task:${id}`)).reason).toBe('flaky dependency');
    await queue.deadLetters.remove(`test.task:${id}`);
    await expect(queue.deadLetters.get(`test.task:${id}`)).rejects.toMatchObject({ definition: JobsError.JobNotFound });
    await expect(queue.deadLetters.remove('nope:1')).rejects.toBeInstanceOf(AppError);
    await expect(queue.deadLetters.list({ type: 'no.such', page: 1, pageSize: 10 })).rejects.toMatchObject({ definition: JobsError.UnknownJobType });
  });

  it('fails a run that outlives the timeout, and dead-letters a payload that no longer validates', async () => {
    await queue.jobs.enqueue(Task, { key: 'slow', sleepMs: 1_000 });
    await until(() => queue.runsOf('slow').length === 2, 2_000);
    // stored by an older build: the handler never sees it
    await queue.backend.add(Task.name, { payload: { key: 123 } }, { jobId: 'legacy', delayMs: 0, attempts: 5, backoffMs: 10, backoffJitter: 0, keepCompletedS: 60, keepFailedS: 60 });
    await until(async () => (await queue.deadLetters.list({ type: Task.name, page: 1, pageSize: 10 })).items.some((item) => item.jobId === 'legacy'));
    const legacy = await queue.deadLetters.get('test.task:legacy');
    expect(legacy).toMatchObject({ attempts: 1, reason: expect.stringMatching(/^invalid job test.task payload: .*key must be a string/) });
  });

  it('runs at most the type\'s concurrency at once', async () => {
    await queue.jobs.enqueueMany(Task, [1, 2, 3, 4, 5].map((n) => ({ payload: { key: `c${n}`, sleepMs: 30 } })));
    await until(() => queue.runs.filter((run) => run.key.startsWith('c')).length === 5);
    expect(queue.active.max).toBe(2);
  });

  it('repeats a job on a schedule, one job per period', async () => {
    await queue.backend.upsertRepeat(Task.name, 'sweep', { payload: { key: 'sweep' } }, {
      everyMs: 40,
      attempts: 1,
      backoffMs: 10,
      backoffJitter: 0,
      keepCompletedS: 60,
      keepFailedS: 60,
    });
    await until(() => queue.runsOf('sweep').length >= 3);
    expect(await queue.backend.removeRepeat(Task.name, 'sweep')).toBe(true);
    const count = queue.runsOf('sweep').length;
    await sleep(120);
    expect(queue.runsOf('sweep').length).toBe(count);
  });

  it('on shutdown waits for a running job within the grace, and reports one that outlives it', async () => {
    await queue.jobs.enqueue(Task, { key: 'finishing', sleepMs: 50 });
    await until(() => queue.runsOf('finishing').length === 1);
    const stopped = await queue.backend.stopWorkers(500);
    expect(stopped.unfinished).toBe(0);
    expect(await queue.backend.counts(Task.name)).toMatchObject({ completed: 1, active: 0 });

    const other = embeddedQueue();
    await other.workers.onApplicationBootstrap();
    await other.jobs.enqueue(Task, { key: 'long', sleepMs: 250 });
    await until(() => other.runsOf('long').length === 1);
    expect((await other.backend.stopWorkers(20)).unfinished).toBe(1);
    await other.backend.close();
  });
});

describe('jobs in an api-only process', () => {
  it('enqueues but runs nothing: the workers live in the worker processes', async () => {
    const queue = embeddedQueue('api');
    await queue.workers.onApplicationBootstrap();
    await queue.jobs.enqueue(Task, { key: 'elsewhere' });
    await sleep(50);
    expect(queue.runs).toHaveLength(0);
    expect((await queue.backend.counts(Task.name)).waiting).toBe(1);
    await queue.backend.close();
  });
});
