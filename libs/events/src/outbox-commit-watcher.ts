import { Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  DataSource,
  type EntitySubscriberInterface,
  type QueryRunner,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
} from 'typeorm';
import type { EventsConfig } from './events.config';
import { OutboxRelay } from './outbox-relay';

const OUTBOX_WRITTEN = 'events:outboxWritten';

/** Flags the transaction (its query runner's user data) as one that wrote an outbox row. */
export function markOutboxWrite(queryRunner: QueryRunner): void {
  (queryRunner.data as Record<string, unknown>)[OUTBOX_WRITTEN] = true;
}

/**
 * Wakes this process's relay right after a transaction that wrote an event commits, so the event
 * leaves at once instead of at the next poll. TypeORM calls it after every commit: one property
 * read for the others.
 */
@Injectable()
export class OutboxCommitWatcher implements EntitySubscriberInterface, OnModuleInit {
  private readonly crashAfterCommit: boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly relay: OutboxRelay,
    config: ConfigService,
  ) {
    this.crashAfterCommit = config.getOrThrow<EventsConfig>('events').testCrashAfterCommit;
  }

  onModuleInit(): void {
    this.dataSource.subscribers.push(this);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const data = event.queryRunner.data as Record<string, unknown>;
    if (!data[OUTBOX_WRITTEN]) return;
    delete data[OUTBOX_WRITTEN];
    // crash drill: the event is committed and no relay has seen it yet
    if (this.crashAfterCommit) process.kill(process.pid, 'SIGKILL');
    this.relay.wake();
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    // SQLite reuses one query runner: a rolled-back write must not wake the relay later
    delete (event.queryRunner.data as Record<string, unknown>)[OUTBOX_WRITTEN];
  }
}
