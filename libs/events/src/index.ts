export { defineEvent, type AnyEventType, type EventType } from './event-type';
export { OnEvent, type ConsumerOptions, type EventContext, type EventConsumerFunction } from './on-event.decorator';
export { DomainEvents } from './domain-events';
export { EventsModule } from './events.module';
export { eventsConfig, loadEventsConfig, type EventsConfig } from './events.config';
export { OutboxEvent } from './entities/outbox-event.entity';
export { HandledEvent } from './entities/handled-event.entity';
export { OUTBOX_EVENTS_PUBLISHED_TOTAL, OUTBOX_LAG_SECONDS, OUTBOX_RELAY_ERRORS_TOTAL } from './events.metrics';
