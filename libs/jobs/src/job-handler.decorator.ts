import type { JobType } from './job-type';

export const JOB_HANDLER_METADATA = 'jobs:handler';

/** What a handler gets beside its payload. */
export interface JobContext {
  /** The job's id: the one given to enqueue(), or a generated UUID. */
  id: string;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the run times out or the process shuts down: pass it to fetch() and the like. */
  signal: AbortSignal;
}

export type JobHandlerFunction<P extends object> = (payload: P, context: JobContext) => Promise<void>;

/**
 * Marks the method that runs jobs of a type; the method's class must be a provider of a module
 * the app loads. One handler per type. Throw PermanentJobError when a retry cannot help.
 *
 *   @JobHandler(CancelUnpaidOrder)
 *   async cancelUnpaid(payload: CancelUnpaidOrderPayload, job: JobContext): Promise<void> { … }
 */
export function JobHandler<P extends object>(type: JobType<P>) {
  return <M extends JobHandlerFunction<P>>(_target: object, _key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    if (!descriptor.value) throw new Error(`@JobHandler(${type.name}) must decorate a method`);
    Reflect.defineMetadata(JOB_HANDLER_METADATA, type, descriptor.value);
  };
}
