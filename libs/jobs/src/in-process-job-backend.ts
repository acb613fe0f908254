import { AsyncLocalStorage } from 'node:async_hooks';
import { PermanentJobError } from './job-errors';
import type {
  AddJobOptions,
  FailedJobRecord,
  JobBackend,
  JobState,
  QueueWorkerDefinition,
  RepeatOptions,
  FailedJobAction,
  StoredJobData,
} from './job-backend';
import { backoffDelayMs } from './retry-policy';

interface LocalJob {
  id: string;
  queue: string;
  data: StoredJobData;
  options: AddJobOptions;
  state: Exclude<JobState, 'waiting'> | 'pending';
  readyAt: number;
  attemptsMade: number;
  createdAt: number;
  finishedAt: number;
  failedReason: string;
}

interface LocalQueue {
  readonly name: string;
  /** Every job still kept, by id: what makes re-adding an id a no-op. */
  readonly jobs: Map<string, LocalJob>;
  /** Waiting and delayed jobs, earliest readyAt first. */
  pending: LocalJob[];
  active: number;
  worker: QueueWorkerDefinition | null;
  timer: NodeJS.Timeout | null;
}

/**
 * The embedded profile's queue: the same contract as BullMQ (ids, delays, attempts with
 * exponential backoff and jitter, dead letters, schedules, concurrency) in this process's memory.
 * Nothing survives a restart: the embedded profile is one developer's process; durable work goes
 * through the outbox (a SQLite table), which the relay re-publishes after a restart.
 */
export class InProcessJobBackend implements JobBackend {
  readonly kind = 'in-process' as const;
  private readonly queues = new Map<string, LocalQueue>();
  private readonly schedules = new Map<string, NodeJS.Timeout>();
  private readonly runs = new Map<Promise<void>, AbortController>();
  private readonly pruneTimer: NodeJS.Timeout;
  private stopping = false;
  /**
   * Runs are started outside whatever async context added the job (the relay's transaction, a
   * request): per-context state such as "inside a unit of work" must not leak into a handler.
   */
  private readonly detached = AsyncLocalStorage.snapshot();

  constructor(private readonly now: () => number = Date.now) {
    this.pruneTimer = setInterval(() => this.prune(), 60_000);
    this.pruneTimer.unref();
  }

  async add(queue: string, data: StoredJobData, options: AddJobOptions): Promise<void> {
    this.addNow(queue, data, options);
  }

  async addBulk(queue: string, jobs: Array<{ data: StoredJobData; options: AddJobOptions }>): Promise<void> {
    for (const job of jobs) this.addNow(queue, job.data, job.options);
  }

  async upsertRepeat(queue: string, scheduleId: string, data: StoredJobData, options: RepeatOptions): Promise<void> {
    const key = `${queue}/${scheduleId}`;
    clearInterval(this.schedules.get(key));
    const timer = setInterval(() => {
      // one job per period, named after it: a slow tick cannot add the same period twice
      const slot = Math.floor(this.now() / options.everyMs);
      this.addNow(queue, data, { ...options, jobId: `${scheduleId}-${slot}`, delayMs: 0 });
    }, options.everyMs);
    timer.unref();
    this.schedules.set(key, timer);
  }

  async removeRepeat(queue: string, scheduleId: string): Promise<boolean> {
    const key = `${queue}/${scheduleId}`;
    const timer = this.schedules.get(key);
    clearInterval(timer);
    return this.schedules.delete(key);
  }

  async startWorkers(definitions: QueueWorkerDefinition[]): Promise<void> {
    for (const definition of definitions) {
      const queue = this.queue(definition.queue);
      queue.worker = definition;
      this.pump(queue);
    }
  }

  async stopWorkers(graceMs: number): Promise<{ unfinished: number }> {
    this.stopping = true;
    for (const queue of this.queues.values()) if (queue.timer) clearTimeout(queue.timer);
    const running = [...this.runs.keys()];
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const outcome = await Promise.race([Promise.allSettled(running).then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') for (const controller of this.runs.values()) controller.abort(new Error('shutting down'));
    return { unfinished: outcome === 'timeout' ? this.runs.size : 0 };
  }

  async counts(queueName: string): Promise<Record<JobState, number>> {
    const counts: Record<JobState, number> = { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 };
    const now = this.now();
    for (const job of this.queues.get(queueName)?.jobs.values() ?? []) {
      if (job.state === 'pending') counts[job.readyAt <= now ? 'waiting' : 'delayed'] += 1;
      else counts[job.state] += 1;
    }
    return counts;
  }

  async listFailed(queueName: string, start: number, end: number): Promise<FailedJobRecord[]> {
    return this.failedJobs(queueName)
      .slice(start, end + 1)
      .map((job) => this.record(job));
  }

  async failedCount(queueName: string): Promise<number> {
    return this.failedJobs(queueName).length;
  }

  async getFailed(queueName: string, id: string): Promise<FailedJobRecord | 'not-failed' | null> {
    const job = this.queues.get(queueName)?.jobs.get(id);
    if (!job) return null;
    return job.state === 'failed' ? this.record(job) : 'not-failed';
  }

  async retryFailed(queueName: string, id: string): Promise<FailedJobAction> {
    const queue = this.queues.get(queueName);
    const job = queue?.jobs.get(id);
    if (!queue || !job) return 'not-found';
    if (job.state !== 'failed') return 'not-failed';
    Object.assign(job, { state: 'pending', attemptsMade: 0, readyAt: this.now(), failedReason: '' });
    this.insertPending(queue, job);
    this.pump(queue);
    return 'done';
  }

  async removeFailed(queueName: string, id: string): Promise<FailedJobAction> {
    const queue = this.queues.get(queueName);
    const job = queue?.jobs.get(id);
    if (!queue || !job) return 'not-found';
    if (job.state !== 'failed') return 'not-failed';
    queue.jobs.delete(id);
    return 'done';
  }

  /** Nest calls this after the HTTP server has closed: requests draining until then can still enqueue. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    this.stopping = true;
    clearInterval(this.pruneTimer);
    for (const timer of this.schedules.values()) clearInterval(timer);
    this.schedules.clear();
    for (const queue of this.queues.values()) if (queue.timer) clearTimeout(queue.timer);
  }

  private queue(name: string): LocalQueue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = { name, jobs: new Map(), pending: [], active: 0, worker: null, timer: null };
      this.queues.set(name, queue);
    }
    return queue;
  }

  private addNow(queueName: string, data: StoredJobData, options: AddJobOptions): void {
    const queue = this.queue(queueName);
    if (queue.jobs.has(options.jobId)) return;
    const now = this.now();
    const job: LocalJob = {
      id: options.jobId,
      queue: queueName,
      data,
      options,
      state: 'pending',
      readyAt: now + options.delayMs,
      attemptsMade: 0,
      createdAt: now,
      finishedAt: 0,
      failedReason: '',
    };
    queue.jobs.set(job.id, job);
    this.insertPending(queue, job);
    this.pump(queue);
  }

  private insertPending(queue: LocalQueue, job: LocalJob): void {
    // after every job ready at the same time or earlier: FIFO among equals
    let index = queue.pending.length;
    while (index > 0 && queue.pending[index - 1].readyAt > job.readyAt) index -= 1;
    queue.pending.splice(index, 0, job);
  }

  /** Starts what may run now, and sets one timer for the next delayed job. */
  private pump(queue: LocalQueue): void {
    const worker = queue.worker;
    if (!worker || this.stopping) return;
    const now = this.now();
    while (queue.active < worker.concurrency && queue.pending.length > 0 && queue.pending[0].readyAt <= now) {
      const job = queue.pending.shift() as LocalJob;
      this.start(queue, worker, job);
    }
    if (queue.timer) clearTimeout(queue.timer);
    queue.timer = null;
    if (queue.active < worker.concurrency && queue.pending.length > 0) {
      queue.timer = setTimeout(() => this.pump(queue), Math.max(0, queue.pending[0].readyAt - now));
      queue.timer.unref();
    }
  }

  private start(queue: LocalQueue, worker: QueueWorkerDefinition, job: LocalJob): void {
    job.state = 'active';
    job.attemptsMade += 1;
    queue.active += 1;
    const controller = new AbortController();
    const run = this.detached(() =>
      worker.process({
        queue: queue.name,
        id: job.id,
        attempt: job.attemptsMade,
        maxAttempts: job.options.attempts,
        data: job.data,
        signal: controller.signal,
      }),
    )
      .then(
        () => this.finish(job, 'completed', ''),
        (error: unknown) => this.fail(queue, job, error),
      )
      .finally(() => {
        queue.active -= 1;
        this.runs.delete(run);
        this.pump(queue);
      });
    this.runs.set(run, controller);
  }

  private fail(queue: LocalQueue, job: LocalJob, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof PermanentJobError || job.attemptsMade >= job.options.attempts) {
      this.finish(job, 'failed', reason);
      return;
    }
    job.state = 'pending';
    job.failedReason = reason;
    job.readyAt = this.now() + backoffDelayMs(job.attemptsMade, job.options.backoffMs, job.options.backoffJitter);
    this.insertPending(queue, job);
  }

  private finish(job: LocalJob, state: 'completed' | 'failed', reason: string): void {
    job.state = state;
    job.failedReason = reason;
    job.finishedAt = this.now();
  }

  private failedJobs(queueName: string): LocalJob[] {
    return [...(this.queues.get(queueName)?.jobs.values() ?? [])]
      .filter((job) => job.state === 'failed')
      .sort((a, b) => b.finishedAt - a.finishedAt);
  }

  private record(job: LocalJob): FailedJobRecord {
    return {
      queue: job.queue,
      id: job.id,
      payload: job.data.payload,
      attemptsMade: job.attemptsMade,
      failedReason: job.failedReason,
      createdAt: job.createdAt,
      failedAt: job.finishedAt,
    };
  }

  private prune(): void {
    const now = this.now();
    for (const queue of this.queues.values()) {
      for (const [id, job] of queue.jobs) {
        const keepS = job.state === 'completed' ? job.options.keepCompletedS : job.state === 'failed' ? job.options.keepFailedS : null;
        if (keepS !== null && job.finishedAt + keepS * 1000 < now) queue.jobs.delete(id);
      }
    }
  }
}
