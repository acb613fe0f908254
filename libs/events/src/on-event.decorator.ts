import type { EntityManager } from 'typeorm';
import type { EventType } from './event-type';

export const ON_EVENT_METADATA = 'events:consumer';

/** What a consumer gets beside the event. */
export interface EventContext {
  /** Stable across redeliveries: the key of the consumer's idempotency record. */
  eventId: string;
  /** When the publishing transaction wrote the event. */
  occurredAt: Date;
  /**
   * The transaction that also records "this consumer handled this event": database writes made
   * through it happen exactly once. Anything else (a WeChat message) happens at least once.
   * A consumer with `dedupe: 'none'` gets the plain manager: no transaction, no record.
   */
  manager: EntityManager;
  attempt: number;
  /** Aborted when the delivery times out or the process shuts down. */
  signal: AbortSignal;
}

export interface ConsumerOptions {
  /** Deliveries to this consumer before its dead letter. Default 5. */
  attempts?: number;
  /** First retry delay (doubles each time). Default 1000 ms. */
  backoffMs?: number;
  /** Default 30 s. */
  timeoutMs?: number;
  /** Deliveries to this consumer one process runs at once. Default 5. */
  concurrency?: number;
  /**
   * 'record' (the default): the consumer's database writes and the record "handled" commit in one
   * transaction, and a redelivery that finds the record does nothing. 'none': for a consumer whose
   * effect is idempotent by itself (it enqueues a job under a stable id, it upserts), so a
   * redelivery repeats it harmlessly: no record and no transaction, one fsync'd transaction less
   * per event (docs/performance/0032).
   */
  dedupe?: 'record' | 'none';
}

export interface ConsumerMetadata {
  event: EventType<object>;
  name: string;
  options: ConsumerOptions;
}

export type EventConsumerFunction<P extends object> = (event: P, context: EventContext) => Promise<void>;

/** Consumer names: stored with every handled event, so they never change once deployed. */
export const CONSUMER_NAME = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/;

/**
 * Marks a provider method that reacts to an event. `name` identifies the consumer for good (its
 * idempotency records and its queue, `event.<name>`): `notification.order-paid-message`. Each
 * consumer gets every event once in effect, on its own queue with its own retries and dead letters.
 *
 *   @OnEvent(OrderPaid, 'notification.order-paid-message')
 *   async send(event: OrderPaidPayload, context: EventContext): Promise<void> { … }
 */
export function OnEvent<P extends object>(event: EventType<P>, name: string, options: ConsumerOptions = {}) {
  if (!CONSUMER_NAME.test(name) || name.length > 90) {
    throw new Error(`consumer name "${name}" must be lower-case words joined by dots or dashes (at most 90 characters)`);
  }
  return <M extends EventConsumerFunction<P>>(_target: object, _key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    if (!descriptor.value) throw new Error(`@OnEvent(${event.name}, ${name}) must decorate a method`);
    const metadata: ConsumerMetadata = { event, name, options };
    Reflect.defineMetadata(ON_EVENT_METADATA, metadata, descriptor.value);
  };
}
