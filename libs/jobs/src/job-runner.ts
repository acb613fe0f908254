import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { JobRun, StoredJobData } from './job-backend';
import { JobTimeoutError, PermanentJobError } from './job-errors';
import type { RegisteredJobType } from './job-registry';
import { InvalidPayloadError, validatePayload } from './payload-validation';

export type JobOutcome = 'completed' | 'failed';

/** Where a run's duration goes (jobs_run_duration_seconds); kept free of prom-client for unit tests. */
export interface JobRunObserver {
  observe(queue: string, outcome: JobOutcome, seconds: number): void;
}

/**
 * One run of a job, the same in both profiles: the stored payload is validated again (what was
 * enqueued by an older build may not match this one: a permanent failure, never a retry loop),
 * the handler gets timeoutMs, and the duration is recorded.
 */
export async function runJob(entry: RegisteredJobType, run: JobRun, observer: JobRunObserver): Promise<void> {
  const carrier = (run.data as Partial<StoredJobData> | null)?.trace;
  // traced only when the enqueuing request was (its traceparent came with the job); without a tracer
  // provider in this process the span below is a no-op that still carries the context on
  if (!carrier) return runJobUntraced(entry, run, observer);
  const parent = propagation.extract(ROOT_CONTEXT, carrier);
  const span = tracer.startSpan(
    `job ${entry.type.name}`,
    { kind: SpanKind.CONSUMER, attributes: { 'messaging.operation.type': 'process', 'messaging.destination.name': entry.type.name, 'job.id': run.id, 'job.attempt': run.attempt } },
    parent,
  );
  try {
    await context.with(trace.setSpan(parent, span), () => runJobUntraced(entry, run, observer));
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    throw error;
  } finally {
    span.end();
  }
}

const tracer = trace.getTracer('wxmp-backend');

async function runJobUntraced(entry: RegisteredJobType, run: JobRun, observer: JobRunObserver): Promise<void> {
  const started = performance.now();
  let outcome: JobOutcome = 'failed';
  try {
    let payload: object;
    try {
      payload = validatePayload(entry.type.payload, (run.data as Partial<StoredJobData> | null)?.payload, `job ${entry.type.name}`);
    } catch (error) {
      if (error instanceof InvalidPayloadError) throw new PermanentJobError(error.message, { cause: error });
      throw error;
    }
    await withTimeout(entry.type.timeoutMs, run.signal, (signal) =>
      entry.handler(payload, { id: run.id, attempt: run.attempt, maxAttempts: run.maxAttempts, signal }),
    );
    outcome = 'completed';
  } finally {
    observer.observe(entry.type.name, outcome, (performance.now() - started) / 1000);
  }
}

/**
 * Runs work with a deadline. The work's signal aborts at the deadline or when `outer` aborts
 * (shutdown); the run then fails with JobTimeoutError even if the work ignores its signal (it
 * may go on in the background: JavaScript cannot stop it).
 */
export async function withTimeout(timeoutMs: number, outer: AbortSignal, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(outer.reason);
  outer.addEventListener('abort', onOuterAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new JobTimeoutError(timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  const running = work(controller.signal);
  try {
    await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
    outer.removeEventListener('abort', onOuterAbort);
    // a late failure of work that already timed out is not an unhandled rejection
    running.catch(() => undefined);
  }
}
