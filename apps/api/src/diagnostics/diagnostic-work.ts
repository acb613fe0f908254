import { Injectable, OnModuleInit } from '@nestjs/common';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { defineEvent, type EventContext, OnEvent } from '@app/events';
import { defineJob, type JobContext, JobHandler, PermanentJobError } from '@app/jobs';
import { IsCleanText } from '@app/http';

export class DiagnosticRecordPayload {
  @Matches(/^[\w.-]{1,64}$/)
  @IsCleanText()
  key!: string;

  /** Runs that throw before one succeeds (retried with backoff). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(20)
  failTimes?: number;

  /** Runs that fail permanently (straight to the dead letters) before one succeeds. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(20)
  permanentFailTimes?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  sleepMs?: number;
}

/** Records each run in diagnostics_job_runs; fails as its payload says. Backoff 200 ms: retries at ~0.2, 0.4, 0.8 s. */
export const DiagnosticRecord = defineJob({ name: 'diagnostics.record', payload: DiagnosticRecordPayload, backoffMs: 200, timeoutMs: 10_000 });

export class DiagnosticNoopPayload {
  @IsInt()
  @Min(0)
  n!: number;
}

/** Does nothing: what the bench measures is the queue itself. */
export const DiagnosticNoop = defineJob({ name: 'diagnostics.noop', payload: DiagnosticNoopPayload, concurrency: 10, attempts: 1 });

export class DiagnosticOrderPlacedPayload {
  @Matches(/^[\w.-]{1,64}$/)
  orderRef!: string;
}

export const DiagnosticOrderPlaced = defineEvent('diagnostics.order-placed', DiagnosticOrderPlacedPayload);

export const DIAGNOSTIC_CONSUMER = 'diagnostics.order-recorder';

/**
 * The e2e suite's jobs and event consumer (ENABLE_TEST_ROUTES only). What they did is written to
 * tables that exist only in test databases, without unique keys: a duplicate effect would show.
 */
@Injectable()
export class DiagnosticWork implements OnModuleInit {
  private noopRuns = 0;

  constructor(private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    for (const ddl of [
      'CREATE TABLE IF NOT EXISTS diagnostics_job_runs (job_key VARCHAR(64) NOT NULL, job_id VARCHAR(64) NOT NULL, attempt INTEGER NOT NULL, ran_at BIGINT NOT NULL)',
      'CREATE TABLE IF NOT EXISTS diagnostics_orders (order_ref VARCHAR(64) NOT NULL PRIMARY KEY, created_at BIGINT NOT NULL)',
      'CREATE TABLE IF NOT EXISTS diagnostics_event_effects (event_id VARCHAR(36) NOT NULL, order_ref VARCHAR(64) NOT NULL, handled_at BIGINT NOT NULL)',
    ]) {
      await this.dataSource.query(ddl);
    }
  }

  get noopCompleted(): number {
    return this.noopRuns;
  }

  @JobHandler(DiagnosticRecord)
  async record(payload: DiagnosticRecordPayload, job: JobContext): Promise<void> {
    const earlier: Array<{ n: number | string }> = await this.dataSource.query('SELECT COUNT(*) AS n FROM diagnostics_job_runs WHERE job_key = ?', [
      payload.key,
    ]);
    const run = Number(earlier[0].n);
    await this.dataSource.query('INSERT INTO diagnostics_job_runs (job_key, job_id, attempt, ran_at) VALUES (?, ?, ?, ?)', [
      payload.key,
      job.id,
      job.attempt,
      Date.now(),
    ]);
    if (run < (payload.permanentFailTimes ?? 0)) throw new PermanentJobError(`diagnostic permanent failure ${run + 1}`);
    if (run < (payload.failTimes ?? 0)) throw new Error(`diagnostic failure ${run + 1}`);
    if (payload.sleepMs) await new Promise((resolve) => setTimeout(resolve, payload.sleepMs));
  }

  @JobHandler(DiagnosticNoop)
  async noop(): Promise<void> {
    this.noopRuns += 1;
  }

  @OnEvent(DiagnosticOrderPlaced, DIAGNOSTIC_CONSUMER)
  async recordOrder(event: DiagnosticOrderPlacedPayload, context: EventContext): Promise<void> {
    await context.manager.query('INSERT INTO diagnostics_event_effects (event_id, order_ref, handled_at) VALUES (?, ?, ?)', [
      context.eventId,
      event.orderRef,
      Date.now(),
    ]);
  }
}
