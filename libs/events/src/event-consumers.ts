import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { isUniqueViolation, TransactionRunner } from '@app/database';
import { defineJob, InvalidPayloadError, type JobContext, JobRegistry, type JobType, PermanentJobError, validatePayload } from '@app/jobs';
import { HandledEvent } from './entities/handled-event.entity';
import { consumerQueue, EventDelivery } from './event-delivery';
import type { AnyEventType } from './event-type';
import { type ConsumerMetadata, type EventConsumerFunction, ON_EVENT_METADATA } from './on-event.decorator';

export interface RegisteredConsumer {
  name: string;
  event: AnyEventType;
  /** 'none': idempotent by itself, delivered without the "handled" record (ConsumerOptions.dedupe). */
  dedupe: 'record' | 'none';
  /** The consumer's own queue: its deliveries retry and dead-letter apart from other consumers'. */
  jobType: JobType<EventDelivery>;
}

/**
 * Finds every @OnEvent method once, at start, and makes each consumer a job type of its own
 * (`event.<consumer>`), whose handler delivers idempotently: the consumer's work and the record
 * "handled" commit in one transaction, and a delivery that finds the record does nothing (or, for
 * a consumer idempotent by itself, `dedupe: 'none'`, just its work).
 */
@Injectable()
export class EventConsumers implements OnModuleInit {
  private readonly logger = new Logger('Events');
  private readonly byEvent = new Map<string, RegisteredConsumer[]>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly registry: JobRegistry,
    private readonly transactions: TransactionRunner,
    private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!wrapper.isDependencyTreeStatic() || typeof instance !== 'object' || instance === null) continue;
      for (const method of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance) as object)) {
        const fn = (instance as Record<string, unknown>)[method];
        if (typeof fn !== 'function') continue;
        const metadata = Reflect.getMetadata(ON_EVENT_METADATA, fn) as ConsumerMetadata | undefined;
        if (metadata) this.register(metadata, (fn as EventConsumerFunction<object>).bind(instance), `${instance.constructor.name}.${method}`);
      }
    }
  }

  /** The consumers of an event, in this build. */
  for(eventName: string): readonly RegisteredConsumer[] {
    return this.byEvent.get(eventName) ?? [];
  }

  register(metadata: ConsumerMetadata, consume: EventConsumerFunction<object>, owner: string): void {
    const { dedupe = 'record', ...jobOptions } = metadata.options;
    const jobType = defineJob({ name: consumerQueue(metadata.name), payload: EventDelivery, ...jobOptions });
    const consumer: RegisteredConsumer = { name: metadata.name, event: metadata.event, dedupe, jobType };
    this.registry.register(jobType, (delivery, job) => this.deliver(consumer, consume, delivery, job), owner);
    this.byEvent.set(metadata.event.name, [...this.for(metadata.event.name), consumer]);
  }

  private async deliver(consumer: RegisteredConsumer, consume: EventConsumerFunction<object>, delivery: EventDelivery, job: JobContext): Promise<void> {
    let event: object;
    try {
      event = validatePayload(consumer.event.payload, delivery.event, `event ${delivery.name}`);
    } catch (error) {
      if (error instanceof InvalidPayloadError) throw new PermanentJobError(error.message, { cause: error });
      throw error;
    }
    const context = { eventId: delivery.eventId, occurredAt: new Date(delivery.occurredAt), attempt: job.attempt, signal: job.signal };
    if (consumer.dedupe === 'none') {
      await consume(event, { ...context, manager: this.dataSource.manager });
      return;
    }
    await this.transactions.run(async (manager) => {
      try {
        // first: a concurrent duplicate waits on this row's lock, then finds it and stops
        await manager.insert(HandledEvent, { eventId: delivery.eventId, consumer: consumer.name, handledAt: new Date() });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        this.logger.debug({ consumer: consumer.name, eventId: delivery.eventId }, 'event already handled: duplicate delivery skipped');
        return;
      }
      await consume(event, { ...context, manager });
    });
  }
}
