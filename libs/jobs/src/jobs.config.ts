import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { defineConfig, parseEnv, ToInteger } from '@app/config';

class JobsEnv {
  @IsOptional()
  @Matches(/^[\w.-]{1,64}$/, { message: 'JOBS_PREFIX must be 1-64 characters of A-Z a-z 0-9 _ . -' })
  JOBS_PREFIX?: string;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(30 * 86_400)
  JOBS_KEEP_COMPLETED_S?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(60)
  @Max(365 * 86_400)
  JOBS_KEEP_FAILED_S?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(0)
  @Max(600_000)
  JOBS_SHUTDOWN_GRACE_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  JOBS_LOCK_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1_000)
  @Max(3_600_000)
  JOBS_SCHEDULE_KEEP_MS?: number;
}

export interface JobsConfig {
  /** Redis key prefix of every queue (BullMQ's `prefix`); instances that share work use the same one. */
  prefix: string;
  /**
   * A finished job, and so its id, is kept this long: enqueuing the same id again within it is a
   * no-op (idempotent enqueue). Longer windows cost Redis memory (~1 KB a job).
   */
  keepCompletedS: number;
  /** A job that failed for good stays on the dead-letter list this long, unless an admin retries or deletes it. */
  keepFailedS: number;
  /** On SIGTERM, running jobs get this long to finish; the rest are left to be retried by another worker. */
  shutdownGraceMs: number;
  /**
   * A running job's lock (renewed at half of it while the worker lives) and how often workers look
   * for jobs whose lock expired: a job whose worker died runs again within about twice this.
   * Shorter: faster recovery, more Redis writes per running job.
   */
  lockMs: number;
  /**
   * Repeating schedules (the sweepers) are written to Redis again this often by every process that
   * asked for them: a Redis that lost its data, or was down at boot, gets them back within it.
   */
  scheduleKeepMs: number;
}

export function loadJobsConfig(env: NodeJS.ProcessEnv): JobsConfig {
  const parsed = parseEnv(JobsEnv, env);
  return {
    prefix: parsed.JOBS_PREFIX ?? 'jobs',
    keepCompletedS: parsed.JOBS_KEEP_COMPLETED_S ?? 86_400,
    keepFailedS: parsed.JOBS_KEEP_FAILED_S ?? 30 * 86_400,
    shutdownGraceMs: parsed.JOBS_SHUTDOWN_GRACE_MS ?? 10_000,
    lockMs: parsed.JOBS_LOCK_MS ?? 30_000,
    scheduleKeepMs: parsed.JOBS_SCHEDULE_KEEP_MS ?? 60_000,
  };
}

export const jobsConfig = defineConfig('jobs', loadJobsConfig);
