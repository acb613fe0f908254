import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import type { AppConfig } from '@app/config';
import { TransactionRunner } from '@app/database';
import { Jobs } from '@app/jobs';
import { EventConsumers, type RegisteredConsumer } from './event-consumers';
import type { EventDelivery } from './event-delivery';
import type { EventsConfig } from './events.config';
import { type OutboxMetrics, setOutboxLagSource } from './events.metrics';
import { outboxDialect, type OutboxDialect, type OutboxRow } from './outbox-sql';

export const OUTBOX_METRICS = Symbol('OUTBOX_METRICS');

/** Sent rows and handled-event records past their retention are deleted this often, in batches. */
const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 1_000;
/** After failed passes the relay waits longer each time, up to this. */
const MAX_BACKOFF_MS = 5_000;

/**
 * Publishes committed outbox rows: claims a batch (SELECT … FOR UPDATE SKIP LOCKED on
 * MySQL/MariaDB, so several instances never take the same row), adds one job per row and consumer
 * to the consumers' queues, marks the rows sent, commits. A crash before the commit leaves the rows
 * unsent: the next pass publishes them again, and the job ids (the event id) and the consumers'
 * handled-event records turn the repeat into a no-op. Runs in APP_ROLE all and worker.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OutboxRelay');
  private readonly config: EventsConfig;
  private readonly dialect: OutboxDialect;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wakeRequested = false;
  private wakeUp: (() => void) | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly consumers: EventConsumers,
    private readonly jobs: Jobs,
    private readonly configService: ConfigService,
    @Inject(OUTBOX_METRICS) private readonly metrics: OutboxMetrics,
  ) {
    this.config = configService.getOrThrow<EventsConfig>('events');
    this.dialect = outboxDialect(dataSource);
  }

  onApplicationBootstrap(): void {
    setOutboxLagSource(() => this.lagSeconds());
    if (this.configService.getOrThrow<AppConfig>('app').role === 'api') return;
    this.running = true;
    this.loopDone = this.loop();
  }

  async onModuleDestroy(): Promise<void> {
    setOutboxLagSource(null);
    this.running = false;
    this.wake();
    // a pass in flight finishes (or rolls back): it is one short transaction
    await this.loopDone;
  }

  /** Runs a pass now (after this process committed an event), or right after the current one. */
  wake(): void {
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  /** One pass: claim, publish, mark sent. Returns the number of rows published. */
  async pass(): Promise<number> {
    const rows = await this.transactions.run(
      async (manager) => {
        const claimed: OutboxRow[] = await manager.query(this.dialect.claimUnsent(this.config.batchSize));
        if (claimed.length === 0) return claimed;
        await this.publish(claimed);
        // crash drill: published, not yet marked sent; the rows must go out again after a restart
        if (this.config.testCrashAfterPublish) process.kill(process.pid, 'SIGKILL');
        await manager.query(`UPDATE outbox_events SET sent_at = ? WHERE id IN (${claimed.map(() => '?').join(', ')})`, [
          this.dialect.time(new Date()),
          ...claimed.map((row) => row.id),
        ]);
        return claimed;
      },
      // no gap locks: features' inserts of new events never wait behind a relay pass (SQLite has one writer anyway)
      this.dialect.name === 'mysql' ? { isolation: 'READ COMMITTED' } : {},
    );
    if (rows.length > 0) this.metrics.published.inc(rows.length);
    return rows.length;
  }

  /** Deletes sent rows and handled-event records older than the retention, in bounded batches. */
  async prune(now = new Date()): Promise<number> {
    const cutoff = this.dialect.time(new Date(now.getTime() - this.config.retentionHours * 3_600_000));
    let deleted = 0;
    for (const [table, column] of [
      ['outbox_events', 'sent_at'],
      ['handled_events', 'handled_at'],
    ] as const) {
      for (let batch = 0; batch < 100; batch += 1) {
        const affected = await this.execute(this.dialect.deleteOlderThan(table, column, PRUNE_BATCH), [cutoff]);
        deleted += affected;
        if (affected < PRUNE_BATCH) break;
      }
    }
    return deleted;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    let lastPrune = 0;
    while (this.running) {
      let published = 0;
      try {
        published = await this.pass();
        if (failures > 0) this.logger.log({ failures }, 'outbox relay recovered');
        failures = 0;
        if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
          lastPrune = Date.now();
          await this.prune();
        }
      } catch (error) {
        failures += 1;
        this.metrics.relayErrors.inc();
        // once, then every 50th: a long outage must not flood the log
        if (failures === 1 || failures % 50 === 0) {
          this.logger.warn({ err: (error as Error).message, failures }, 'outbox relay pass failed; rows stay unsent and are retried');
        }
      }
      if (published >= this.config.batchSize && failures === 0) continue;
      await this.idle(failures > 0 ? Math.min(this.config.pollIntervalMs * 2 ** failures, MAX_BACKOFF_MS) : this.config.pollIntervalMs);
    }
  }

  private async idle(ms: number): Promise<void> {
    if (this.wakeRequested || !this.running) {
      this.wakeRequested = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
    this.wakeUp = null;
    this.wakeRequested = false;
  }

  private async publish(rows: OutboxRow[]): Promise<void> {
    const deliveries = new Map<RegisteredConsumer, Array<{ id: string; payload: EventDelivery }>>();
    for (const row of rows) {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(row.payload) as Record<string, unknown>;
      } catch {
        // written by publish() from validated JSON: only a manual edit gets here; it must not block the rows behind it
        this.metrics.relayErrors.inc();
        this.logger.error({ eventId: row.id, name: row.name }, 'outbox row has an unreadable payload: marked sent without delivery');
        continue;
      }
      const occurredAt = this.dialect.readTime(row.createdAt).toISOString();
      for (const consumer of this.consumers.for(row.name)) {
        const list = deliveries.get(consumer) ?? [];
        list.push({ id: row.id, payload: { eventId: row.id, name: row.name, occurredAt, event } });
        deliveries.set(consumer, list);
      }
    }
    await Promise.all([...deliveries].map(([consumer, items]) => this.jobs.enqueueMany(consumer.jobType, items)));
  }

  private async lagSeconds(): Promise<number> {
    const [row] = (await this.dataSource.query('SELECT MIN(created_at) AS oldest FROM outbox_events WHERE sent_at IS NULL')) as Array<{
      oldest: unknown;
    }>;
    if (row?.oldest === null || row?.oldest === undefined) return 0;
    return Math.max(0, (Date.now() - this.dialect.readTime(row.oldest).getTime()) / 1000);
  }

  private async execute(sql: string, parameters: unknown[]): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(sql, parameters, true);
      return result.affected ?? 0;
    } finally {
      await runner.release();
    }
  }
}
