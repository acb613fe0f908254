import { Logger } from '@nestjs/common';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { PermanentJobError } from './job-errors';
import type {
  AddJobOptions,
  FailedJobAction,
  FailedJobRecord,
  JobBackend,
  JobState,
  QueueWorkerDefinition,
  RepeatOptions,
  StoredJobData,
} from './job-backend';

export interface BullConnections {
  /** Enqueueing and dead-letter reads: fails fast while Redis is down, like every other command here. */
  producer: Redis;
  /** Shared by the workers for their non-blocking commands (BullMQ wants maxRetriesPerRequest: null). */
  worker: Redis;
  /** BullMQ's key prefix: instances that share queues use the same one. */
  prefix: string;
  /** Longest a queue operation may take before it fails (REDIS_COMMAND_TIMEOUT_MS). */
  commandTimeoutMs: number;
  /** JOBS_LOCK_MS: a running job's lock, and the interval of the check for expired ones. */
  lockMs: number;
  /** JOBS_SCHEDULE_KEEP_MS: how often this process writes its repeating schedules again (see ScheduleKeeper). */
  scheduleKeepMs: number;
}

/** Redis down or too slow for a queue operation; callers map it to their own error (Jobs: 503, 7053). */
export class QueueUnreachableError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'QueueUnreachableError';
  }
}

const jobOptions = (options: Omit<AddJobOptions, 'jobId' | 'delayMs'>) => ({
  attempts: options.attempts,
  backoff: { type: 'exponential' as const, delay: options.backoffMs, jitter: options.backoffJitter },
  removeOnComplete: { age: options.keepCompletedS },
  removeOnFail: { age: options.keepFailedS },
});

/**
 * BullMQ on the production profile's Redis: one queue per job type, one Worker per queue in the
 * processes that run workers. Queues share one producer connection and workers one command
 * connection; each Worker adds the blocking connection BullMQ needs. All of them are closed in
 * close(): ioredis clients left open keep app.close() from returning.
 */
export class BullJobBackend implements JobBackend {
  readonly kind = 'redis' as const;
  private readonly logger = new Logger('Jobs');
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly runs = new Map<Promise<unknown>, AbortController>();

  /**
   * The schedules this process asked for, written again every `scheduleKeepMs`: a schedule lives
   * in Redis only, so a Redis that restarts without its data, or fails over to an empty replica,
   * or was down when the process booted, would otherwise have no sweeper until the next deploy.
   * Writing one again is safe: BullMQ keeps its next run where it was (same id, same interval).
   */
  private readonly schedules = new Map<string, () => Promise<void>>();
  private readonly keeper: NodeJS.Timeout;
  private keeperFailing = false;

  constructor(private readonly connections: BullConnections) {
    this.keeper = setInterval(() => void this.keepSchedules(), connections.scheduleKeepMs);
    this.keeper.unref();
  }

  async add(queue: string, data: StoredJobData, options: AddJobOptions): Promise<void> {
    await this.produce((q) => q.add(queue, data, { ...jobOptions(options), jobId: options.jobId, delay: options.delayMs }), queue);
  }

  async addBulk(queue: string, jobs: Array<{ data: StoredJobData; options: AddJobOptions }>): Promise<void> {
    await this.produce(
      (q) =>
        q.addBulk(jobs.map(({ data, options }) => ({ name: queue, data, opts: { ...jobOptions(options), jobId: options.jobId, delay: options.delayMs } }))),
      queue,
    );
  }

  /** Kept even when this first write fails (Redis down at boot): the keeper writes it once Redis answers. */
  async upsertRepeat(queue: string, scheduleId: string, data: StoredJobData, options: RepeatOptions): Promise<void> {
    const write = () =>
      this.produce((q) => q.upsertJobScheduler(scheduleId, { every: options.everyMs }, { name: queue, data, opts: jobOptions(options) }), queue).then(
        () => undefined,
      );
    this.schedules.set(`${queue}/${scheduleId}`, write);
    await write();
  }

  async removeRepeat(queue: string, scheduleId: string): Promise<boolean> {
    this.schedules.delete(`${queue}/${scheduleId}`);
    return this.produce((q) => q.removeJobScheduler(scheduleId), queue);
  }

  /** Writes every kept schedule again; one warning per outage, one line when it works again. */
  async keepSchedules(): Promise<void> {
    const results = await Promise.allSettled([...this.schedules.values()].map((write) => write()));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure && !this.keeperFailing) {
      this.logger.warn({ err: (failure.reason as Error)?.message ?? String(failure.reason) }, 'job schedules could not be written; retrying');
    } else if (!failure && this.keeperFailing) {
      this.logger.log({ schedules: this.schedules.size }, 'job schedules written again');
    }
    this.keeperFailing = failure !== undefined;
  }

  async startWorkers(definitions: QueueWorkerDefinition[]): Promise<void> {
    for (const definition of definitions) {
      // one argument: BullMQ then makes no AbortSignal per job; shutdown aborts runs through this.runs
      const worker = new Worker(definition.queue, (job: Job) => this.process(definition, job), {
        connection: this.connections.worker,
        prefix: this.connections.prefix,
        concurrency: definition.concurrency,
        lockDuration: this.connections.lockMs,
        stalledInterval: this.connections.lockMs,
        // one interruption (a pod killed mid-job) is retried like a failure; only repeated ones dead-letter it
        maxStalledCount: 2,
      });
      worker.on('error', (error) => this.logger.warn({ queue: definition.queue, err: error.message }, 'job worker error'));
      worker.on('failed', (job, error) => {
        if (!job) return;
        const final = error.name === UnrecoverableError.name || job.attemptsMade >= (job.opts.attempts ?? 1);
        this.logger.warn(
          { queue: definition.queue, jobId: job.id, attempt: job.attemptsMade, err: error.message },
          final ? 'job failed for good: dead-lettered' : 'job attempt failed: will retry',
        );
      });
      this.workers.push(worker);
    }
    await Promise.all(this.workers.map((worker) => worker.waitUntilReady()));
  }

  async stopWorkers(graceMs: number): Promise<{ unfinished: number }> {
    // no new jobs from here on; the running ones get graceMs to finish
    await Promise.all(this.workers.map((worker) => worker.pause(true)));
    const deadline = Date.now() + graceMs;
    // a job fetched just before the pause may start after it: wait until none is left, not for a snapshot
    while (this.runs.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadline - Date.now())));
      await Promise.race([Promise.allSettled([...this.runs.keys()]), graceOver]);
      clearTimeout(timer);
    }
    const unfinished = this.runs.size;
    // unfinished jobs keep their lock until it expires; BullMQ's stalled check then hands them to another worker
    for (const controller of this.runs.values()) controller.abort(new Error('shutting down'));
    await Promise.all(this.workers.map((worker) => worker.close(true)));
    this.workers.length = 0;
    return { unfinished };
  }

  async counts(queue: string): Promise<Record<JobState, number>> {
    const counts = await this.produce((q) => q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'), queue);
    return {
      // BullMQ keeps prioritized jobs apart; to an operator they are waiting too
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
      completed: counts.completed ?? 0,
    };
  }

  async listFailed(queue: string, start: number, end: number): Promise<FailedJobRecord[]> {
    const jobs = await this.produce((q) => q.getFailed(start, end), queue);
    return jobs.filter((job): job is Job => job !== undefined && job !== null).map((job) => this.record(queue, job));
  }

  async failedCount(queue: string): Promise<number> {
    return this.produce((q) => q.getFailedCount(), queue);
  }

  async getFailed(queue: string, id: string): Promise<FailedJobRecord | 'not-failed' | null> {
    return this.produce(async (q) => {
      const job = await q.getJob(id);
      if (!job) return null;
      if ((await job.getState()) !== 'failed') return 'not-failed';
      return this.record(queue, job as Job);
    }, queue);
  }

  async retryFailed(queue: string, id: string): Promise<FailedJobAction> {
    return this.produce(async (q) => {
      const job = await q.getJob(id);
      if (!job) return 'not-found';
      if ((await job.getState()) !== 'failed') return 'not-failed';
      try {
        await (job as Job).retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      } catch (error) {
        // another admin retried it between the state check and this call
        if ((await job.getState()) !== 'failed') return 'not-failed';
        throw error;
      }
      return 'done';
    }, queue);
  }

  async removeFailed(queue: string, id: string): Promise<FailedJobAction> {
    return this.produce(async (q) => {
      const job = await q.getJob(id);
      if (!job) return 'not-found';
      if ((await job.getState()) !== 'failed') return 'not-failed';
      await (job as Job).remove();
      return 'done';
    }, queue);
  }

  /** Nest calls this after the HTTP server has closed: requests draining until then can still enqueue. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    clearInterval(this.keeper);
    if (this.workers.length > 0) await this.stopWorkers(0);
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
    await Promise.all(
      [this.connections.producer, this.connections.worker].map(async (client) => {
        try {
          await client.quit();
        } catch {
          client.disconnect();
        }
      }),
    );
  }

  /**
   * A queue operation that fails fast while Redis is down: BullMQ waits for its connection to be
   * ready again before sending anything, so a request would hang for the whole outage. Refused
   * at once when the producer connection is not ready; otherwise bounded by the command timeout
   * (then it may still complete later: callers that must not duplicate work give jobs ids).
   */
  private async produce<T>(work: (queue: Queue) => Promise<T>, name: string): Promise<T> {
    const { producer, commandTimeoutMs } = this.connections;
    if (producer.status !== 'ready') throw new QueueUnreachableError(`Redis is not connected (${producer.status})`);
    // several round trips (a dead-letter retry reads, checks and moves): more than one command's time
    const limitMs = commandTimeoutMs * 3;
    let timer: NodeJS.Timeout | undefined;
    const pending = work(this.queue(name));
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new QueueUnreachableError(`the queue did not answer within ${limitMs} ms`)), limitMs);
    });
    try {
      return await Promise.race([pending, deadline]);
    } finally {
      clearTimeout(timer);
      pending.catch(() => undefined);
    }
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connections.producer, prefix: this.connections.prefix });
      queue.on('error', (error) => this.logger.warn({ queue: name, err: error.message }, 'job queue error'));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private async process(definition: QueueWorkerDefinition, job: Job): Promise<void> {
    const controller = new AbortController();
    const run = definition.process({
      queue: definition.queue,
      id: String(job.id),
      attempt: job.attemptsMade + 1,
      maxAttempts: job.opts.attempts ?? 1,
      data: job.data,
      signal: controller.signal,
    });
    this.runs.set(run, controller);
    try {
      await run;
    } catch (error) {
      // BullMQ's way of saying "do not retry"
      if (error instanceof PermanentJobError) throw new UnrecoverableError(error.message);
      throw error;
    } finally {
      this.runs.delete(run);
    }
  }

  private record(queue: string, job: Job): FailedJobRecord {
    const data = job.data as Partial<StoredJobData> | undefined;
    return {
      queue,
      id: String(job.id),
      payload: data?.payload ?? null,
      attemptsMade: job.attemptsMade,
      failedReason: job.failedReason ?? '',
      createdAt: job.timestamp,
      failedAt: job.finishedOn ?? job.timestamp,
    };
  }
}
