import { Gauge, Histogram, register } from 'prom-client';
import { JOB_STATES, type JobState } from './job-backend';
import type { JobOutcome, JobRunObserver } from './job-runner';

export const JOBS_QUEUE_JOBS = 'jobs_queue_jobs';
export const JOBS_RUN_DURATION_SECONDS = 'jobs_run_duration_seconds';

/** Reads every queue's counts at scrape time; set by JobWorkers once the queues are known. */
export type QueueCountsSource = () => Promise<Array<{ queue: string; counts: Record<JobState, number> }>>;

let countsSource: QueueCountsSource | null = null;

export function setQueueCountsSource(source: QueueCountsSource | null): void {
  countsSource = source;
}

/** A scrape never waits longer than this for Redis: /metrics must answer while Redis is down. */
const COLLECT_TIMEOUT_MS = 1_000;

/**
 * prom-client on the default registry (served on /metrics), reused if a second module instance
 * in this process registered it first, like the circuit metrics. The gauge is read from the
 * queues when Prometheus scrapes, so nothing is counted per job; every instance reports the same
 * shared counts (use max() across instances, not sum()).
 */
export function jobsMetrics(): JobRunObserver {
  const existing = register.getSingleMetric(JOBS_RUN_DURATION_SECONDS) as Histogram<'queue' | 'outcome'> | undefined;
  if (!register.getSingleMetric(JOBS_QUEUE_JOBS)) {
    new Gauge({
      name: JOBS_QUEUE_JOBS,
      help: 'Jobs per queue (job type) and state: waiting, active, delayed, failed (dead letters), completed (kept for idempotent enqueue)',
      labelNames: ['queue', 'state'],
      async collect() {
        if (!countsSource) return;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), COLLECT_TIMEOUT_MS)));
        try {
          const rows = await Promise.race([countsSource(), timeout]);
          this.reset();
          if (!rows) return;
          for (const { queue, counts } of rows) for (const state of JOB_STATES) this.set({ queue, state }, counts[state]);
        } catch {
          // Redis unreachable: this scrape shows no queue counts rather than failing, or stale ones
          this.reset();
        } finally {
          clearTimeout(timer);
        }
      },
    });
  }
  const histogram =
    existing ??
    new Histogram({
      name: JOBS_RUN_DURATION_SECONDS,
      help: 'Job runs by queue (job type) and outcome (completed, failed: the attempt failed), in seconds',
      labelNames: ['queue', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    });
  return {
    observe: (queue: string, outcome: JobOutcome, seconds: number) => histogram.observe({ queue, outcome }, seconds),
  };
}
