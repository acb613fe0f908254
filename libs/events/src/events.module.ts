import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DomainEvents } from './domain-events';
import { HandledEvent } from './entities/handled-event.entity';
import { OutboxEvent } from './entities/outbox-event.entity';
import { EventConsumers } from './event-consumers';
import { outboxMetrics } from './events.metrics';
import { OutboxCommitWatcher } from './outbox-commit-watcher';
import { OUTBOX_METRICS, OutboxRelay } from './outbox-relay';

/**
 * Domain events over a transactional outbox: `DomainEvents.publish` inside a transaction,
 * @OnEvent consumers in any feature, and the relay that publishes committed rows (APP_ROLE all
 * and worker). Needs JobsModule (each consumer is a queue) and DatabaseModule.
 */
@Global()
@Module({
  imports: [DiscoveryModule, TypeOrmModule.forFeature([OutboxEvent, HandledEvent])],
  providers: [{ provide: OUTBOX_METRICS, useFactory: outboxMetrics }, EventConsumers, OutboxRelay, OutboxCommitWatcher, DomainEvents],
  exports: [DomainEvents],
})
export class EventsModule {}
