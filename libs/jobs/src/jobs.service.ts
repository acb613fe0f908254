import { context, propagation, trace } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppError } from '@app/http';
import type { AddJobOptions, JobBackend, StoredJobData } from './job-backend';
import type { JobType } from './job-type';
import type { JobsConfig } from './jobs.config';
import { JobsError } from './jobs.errors';
import { toStoredPayload, validatePayload } from './payload-validation';
import { BACKOFF_JITTER } from './retry-policy';

export const JOB_BACKEND = Symbol('JOB_BACKEND');

/**
 * Letters, digits, `_`, `.` and `-`, not digits only: BullMQ refuses ids with `:` and numeric ids
 * (its own are numbers). At most 64 characters (the audit log's target id). `order-42-timeout` is a good id.
 */
export const JOB_ID = /^(?!\d+$)[A-Za-z0-9_.-]{1,64}$/;

export interface EnqueueOptions {
  /**
   * Makes enqueueing idempotent: while a job with this id is queued, running, failed or finished
   * within JOBS_KEEP_COMPLETED_S, enqueuing it again does nothing. Default: a random UUID.
   */
  id?: string;
  /** Run at (or soon after) this time. */
  runAt?: Date;
  /** Run after this many milliseconds (ignored when runAt is given). */
  delayMs?: number;
}

export interface RepeatEvery {
  /** The schedule's id: repeat() with the same id updates it instead of adding a second one. */
  id: string;
  everyMs: number;
}

/**
 * Enqueues jobs: validated against the type's payload class (a mismatch is a bug: it throws at
 * once, in the caller), stored as plain JSON, run by the type's @JobHandler in a worker process.
 * To enqueue as part of a database transaction, publish a domain event in it and enqueue from the
 * event's consumer (docs/jobs-and-events.md): the outbox makes it survive a crash.
 */
@Injectable()
export class Jobs {
  private readonly config: JobsConfig;

  constructor(
    @Inject(JOB_BACKEND) private readonly backend: JobBackend,
    configService: ConfigService,
  ) {
    this.config = configService.getOrThrow<JobsConfig>('jobs');
  }

  /** Returns the job's id. */
  async enqueue<P extends object>(type: JobType<P>, payload: P, options: EnqueueOptions = {}): Promise<string> {
    const [job] = this.prepare(type, [{ payload, ...options }]);
    await this.reachQueue(() => this.backend.add(type.name, job.data, job.options));
    return job.options.jobId;
  }

  /** Many jobs of one type in one round trip; each item as enqueue() takes it. Returns their ids. */
  async enqueueMany<P extends object>(type: JobType<P>, items: Array<EnqueueOptions & { payload: P }>): Promise<string[]> {
    if (items.length === 0) return [];
    const jobs = this.prepare(type, items);
    await this.reachQueue(() => this.backend.addBulk(type.name, jobs));
    return jobs.map((job) => job.options.jobId);
  }

  /** A job every `everyMs`, shared by all instances (one schedule per id, however many call this). */
  async repeat<P extends object>(type: JobType<P>, payload: P, every: RepeatEvery): Promise<void> {
    if (!JOB_ID.test(every.id)) throw new Error(`schedule id "${every.id}" must match ${JOB_ID}`);
    if (!Number.isInteger(every.everyMs) || every.everyMs < 1000) throw new Error('everyMs must be an integer >= 1000');
    const data = this.storedData(type, payload);
    await this.reachQueue(() => this.backend.upsertRepeat(type.name, every.id, data, { ...this.policy(type), everyMs: every.everyMs }));
  }

  async cancelRepeat(type: JobType<object>, id: string): Promise<boolean> {
    return this.reachQueue(() => this.backend.removeRepeat(type.name, id));
  }

  /** The payload was valid; a failure now is the queue's (Redis down or slow): 503 (7053), nothing queued. */
  private async reachQueue<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new AppError(JobsError.QueueUnavailable, { cause: error });
    }
  }

  private prepare<P extends object>(type: JobType<P>, items: Array<EnqueueOptions & { payload: P }>) {
    const now = Date.now();
    return items.map((item) => {
      const jobId = item.id ?? randomUUID();
      if (!JOB_ID.test(jobId)) throw new Error(`job id "${jobId}" must match ${JOB_ID}`);
      const delayMs = item.runAt ? Math.max(0, item.runAt.getTime() - now) : Math.max(0, item.delayMs ?? 0);
      const options: AddJobOptions = { jobId, delayMs, ...this.policy(type) };
      return { data: this.storedData(type, item.payload), options };
    });
  }

  private storedData<P extends object>(type: JobType<P>, payload: P): StoredJobData {
    const stored = toStoredPayload(payload);
    // the stored form is what the handler will get: validate that, not the caller's object
    validatePayload(type.payload, stored, `job ${type.name}`);
    // the enqueuing request's trace continues in the job's run (tracing on and this request sampled)
    if (!trace.getSpan(context.active())?.isRecording()) return { payload: stored };
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    return { payload: stored, trace: carrier };
  }

  private policy(type: JobType<object>): Omit<AddJobOptions, 'jobId' | 'delayMs'> {
    return {
      attempts: type.attempts,
      backoffMs: type.backoffMs,
      backoffJitter: BACKOFF_JITTER,
      keepCompletedS: this.config.keepCompletedS,
      keepFailedS: this.config.keepFailedS,
    };
  }
}
