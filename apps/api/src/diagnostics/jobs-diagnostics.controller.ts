import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { TransactionRunner } from '@app/database';
import { DomainEvents } from '@app/events';
import { Public } from '@app/http';
import { Jobs } from '@app/jobs';
import { DiagnosticNoop, DiagnosticOrderPlaced, DiagnosticRecord, DiagnosticWork } from './diagnostic-work';
import { CountDto, EnqueueDiagnosticJobDto, JobRunsQueryDto, PlaceDiagnosticOrderDto, PlaceDiagnosticOrdersDto } from './dto/diagnostic-jobs.dto';

/**
 * Enqueues jobs and publishes events for the jobs/events e2e suites and the bench
 * (ENABLE_TEST_ROUTES only), and reads back what their handlers recorded.
 */
@ApiExcludeController()
@Public()
@Controller('diagnostics')
export class JobsDiagnosticsController {
  constructor(
    private readonly jobs: Jobs,
    private readonly events: DomainEvents,
    private readonly transactions: TransactionRunner,
    private readonly dataSource: DataSource,
    private readonly work: DiagnosticWork,
  ) {}

  @Post('jobs')
  @HttpCode(200)
  async enqueue(@Body() body: EnqueueDiagnosticJobDto): Promise<{ id: string }> {
    const { id, delayMs, runAt, ...payload } = body;
    return { id: await this.jobs.enqueue(DiagnosticRecord, payload, { id, delayMs, runAt: runAt === undefined ? undefined : new Date(runAt) }) };
  }

  @Get('jobs/runs')
  async runs(@Query() query: JobRunsQueryDto): Promise<Array<{ jobId: string; attempt: number; ranAt: number }>> {
    const rows: Array<{ jobId: string; attempt: number | string; ranAt: number | string }> = await this.dataSource.query(
      'SELECT job_id AS jobId, attempt, ran_at AS ranAt FROM diagnostics_job_runs WHERE job_key = ? ORDER BY ran_at',
      [query.key],
    );
    return rows.map((row) => ({ jobId: row.jobId, attempt: Number(row.attempt), ranAt: Number(row.ranAt) }));
  }

  @Post('jobs/noop')
  @HttpCode(200)
  async enqueueNoop(@Body() body: CountDto): Promise<{ enqueued: number }> {
    // one job: the path a request handler takes
    if (body.count === 1) {
      await this.jobs.enqueue(DiagnosticNoop, { n: 0 });
      return { enqueued: 1 };
    }
    for (let start = 0; start < body.count; start += 500) {
      const size = Math.min(500, body.count - start);
      await this.jobs.enqueueMany(DiagnosticNoop, Array.from({ length: size }, (_, i) => ({ payload: { n: start + i } })));
    }
    return { enqueued: body.count };
  }

  @Get('jobs/noop')
  noopCompleted(): { completed: number } {
    return { completed: this.work.noopCompleted };
  }

  @Post('events/orders')
  @HttpCode(200)
  async placeOrder(@Body() body: PlaceDiagnosticOrderDto): Promise<{ eventId: string }> {
    const eventId = await this.transactions.run(async (manager) => {
      await manager.query('INSERT INTO diagnostics_orders (order_ref, created_at) VALUES (?, ?)', [body.orderRef, Date.now()]);
      return this.events.publish(DiagnosticOrderPlaced, { orderRef: body.orderRef }, manager);
    });
    return { eventId };
  }

  /** Many orders, each with its event, `perTransaction` to a transaction: fills the outbox fast. */
  @Post('events/orders/batch')
  @HttpCode(200)
  async placeOrders(@Body() body: PlaceDiagnosticOrdersDto): Promise<{ published: number }> {
    const perTransaction = body.perTransaction ?? 100;
    for (let start = 0; start < body.count; start += perTransaction) {
      const refs = Array.from({ length: Math.min(perTransaction, body.count - start) }, (_, i) => `${body.prefix}-${start + i}`);
      await this.transactions.run(async (manager) => {
        for (const orderRef of refs) {
          await manager.query('INSERT INTO diagnostics_orders (order_ref, created_at) VALUES (?, ?)', [orderRef, Date.now()]);
          await this.events.publish(DiagnosticOrderPlaced, { orderRef }, manager);
        }
      });
    }
    return { published: body.count };
  }

  @Get('events/effects')
  async effects(@Query() query: PlaceDiagnosticOrderDto): Promise<Array<{ eventId: string; handledAt: number }>> {
    const rows: Array<{ eventId: string; handledAt: number | string }> = await this.dataSource.query(
      'SELECT event_id AS eventId, handled_at AS handledAt FROM diagnostics_event_effects WHERE order_ref = ?',
      [query.orderRef],
    );
    return rows.map((row) => ({ eventId: row.eventId, handledAt: Number(row.handledAt) }));
  }
}
