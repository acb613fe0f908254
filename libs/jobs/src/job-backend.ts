/**
 * The port both queue implementations fill: BullMQ on Redis (production) and an in-process runner
 * (embedded profile). Everything above it (validation, timeouts, handlers, metrics, the dead-letter
 * views) is shared, so the two profiles cannot drift in what a job means.
 */

/** Stored with every job: the validated payload as plain JSON. */
export interface StoredJobData {
  payload: Record<string, unknown>;
  /** W3C trace context of the code that enqueued it (traceparent, tracestate), when it ran in a recorded trace. */
  trace?: Record<string, string>;
}

export interface AddJobOptions {
  /** Unique per queue; adding an id the queue still holds (in any state) is a no-op. */
  jobId: string;
  delayMs: number;
  attempts: number;
  backoffMs: number;
  /** Share of each backoff delay that is random (taken off the top): retries of many jobs spread out. */
  backoffJitter: number;
  /** How long a completed job, and so its id, is kept: the window in which re-adding it is a no-op. */
  keepCompletedS: number;
  /** How long a failed-for-good job stays on the dead-letter list. */
  keepFailedS: number;
}

export interface RepeatOptions extends Omit<AddJobOptions, 'jobId' | 'delayMs'> {
  everyMs: number;
}

/** One run of a job, as a backend hands it to the shared runner. */
export interface JobRun {
  queue: string;
  id: string;
  /** 1 for the first run. */
  attempt: number;
  maxAttempts: number;
  data: unknown;
  /** Aborted when the process shuts down before the run ends. */
  signal: AbortSignal;
}

/** What a backend does with a queue's jobs: run them, `concurrency` at a time. */
export interface QueueWorkerDefinition {
  queue: string;
  concurrency: number;
  /** Throws PermanentJobError (no retry) or anything else (retry with backoff). */
  process(run: JobRun): Promise<void>;
}

export type JobState = 'waiting' | 'active' | 'delayed' | 'failed' | 'completed';
export const JOB_STATES: readonly JobState[] = ['waiting', 'active', 'delayed', 'failed', 'completed'];

/** A job that failed for good, as the dead-letter list shows it. */
export interface FailedJobRecord {
  queue: string;
  id: string;
  payload: unknown;
  attemptsMade: number;
  failedReason: string;
  createdAt: number;
  failedAt: number;
}

/** What became of a dead-letter action: done, no such job, or the job is not (or no longer) failed. */
export type FailedJobAction = 'done' | 'not-found' | 'not-failed';

export interface JobBackend {
  readonly kind: 'redis' | 'in-process';
  add(queue: string, data: StoredJobData, options: AddJobOptions): Promise<void>;
  /** Many jobs of one queue in one round trip (the outbox relay's fan-out). */
  addBulk(queue: string, jobs: Array<{ data: StoredJobData; options: AddJobOptions }>): Promise<void>;
  /** Creates or updates a schedule: one job every `everyMs`, across all instances. */
  upsertRepeat(queue: string, scheduleId: string, data: StoredJobData, options: RepeatOptions): Promise<void>;
  removeRepeat(queue: string, scheduleId: string): Promise<boolean>;
  startWorkers(definitions: QueueWorkerDefinition[]): Promise<void>;
  /** Stops taking jobs, waits up to graceMs for running ones, then leaves the rest to be retried. */
  stopWorkers(graceMs: number): Promise<{ unfinished: number }>;
  counts(queue: string): Promise<Record<JobState, number>>;
  /** Newest first. */
  listFailed(queue: string, start: number, end: number): Promise<FailedJobRecord[]>;
  failedCount(queue: string): Promise<number>;
  /** The dead letter; 'not-failed' when the job exists in another state; null when there is no such job. */
  getFailed(queue: string, id: string): Promise<FailedJobRecord | 'not-failed' | null>;
  retryFailed(queue: string, id: string): Promise<FailedJobAction>;
  removeFailed(queue: string, id: string): Promise<FailedJobAction>;
  close(): Promise<void>;
}
