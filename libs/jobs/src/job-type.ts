/** A class-validator class: a job's or an event's payload, checked when it is enqueued and again when it runs. */
export type PayloadClass<P extends object> = new () => P;

/** Lower-case words joined by dots or dashes, e.g. `order.cancel-unpaid`: a queue name and part of Redis keys. */
export const JOB_TYPE_NAME = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/;

export interface JobTypeOptions<P extends object> {
  /** Stable name: it is the queue's name, so renaming a type orphans the jobs already queued under the old one. */
  name: string;
  payload: PayloadClass<P>;
  /** Runs before the job is failed for good (dead letter). Default 5. */
  attempts?: number;
  /** First retry delay; each later one doubles, with up to 25% jitter taken off. Default 1000 ms. */
  backoffMs?: number;
  /** One run longer than this counts as a failed attempt (the handler's signal is aborted). Default 30 s. */
  timeoutMs?: number;
  /** Jobs of this type one process runs at once. Default 5. */
  concurrency?: number;
}

/** A job type, declared once with defineJob() and used to enqueue jobs and to mark their handler. */
export interface JobType<P extends object> {
  readonly name: string;
  readonly payload: PayloadClass<P>;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly timeoutMs: number;
  readonly concurrency: number;
}

/** Any job type (P appears only in covariant positions, so every JobType<P> is one). */
export type AnyJobType = JobType<object>;

export const JOB_DEFAULTS = { attempts: 5, backoffMs: 1_000, timeoutMs: 30_000, concurrency: 5 } as const;

/**
 * Declares a job type:
 *
 *   export const CancelUnpaidOrder = defineJob({ name: 'order.cancel-unpaid', payload: CancelUnpaidOrderPayload });
 */
export function defineJob<P extends object>(options: JobTypeOptions<P>): JobType<P> {
  if (!JOB_TYPE_NAME.test(options.name) || options.name.length > 100) {
    throw new Error(`job type name "${options.name}" must be lower-case words joined by dots or dashes (at most 100 characters)`);
  }
  const type: JobType<P> = {
    name: options.name,
    payload: options.payload,
    attempts: options.attempts ?? JOB_DEFAULTS.attempts,
    backoffMs: options.backoffMs ?? JOB_DEFAULTS.backoffMs,
    timeoutMs: options.timeoutMs ?? JOB_DEFAULTS.timeoutMs,
    concurrency: options.concurrency ?? JOB_DEFAULTS.concurrency,
  };
  for (const [key, min] of [['attempts', 1], ['backoffMs', 0], ['timeoutMs', 1], ['concurrency', 1]] as const) {
    if (!Number.isInteger(type[key]) || type[key] < min) throw new Error(`job type ${type.name}: ${key} must be an integer >= ${min}`);
  }
  return Object.freeze(type);
}
