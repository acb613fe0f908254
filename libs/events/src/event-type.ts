import { JOB_TYPE_NAME, type PayloadClass } from '@app/jobs';

/** A domain event type, declared once with defineEvent() by the feature that publishes it. */
export interface EventType<P extends object> {
  readonly name: string;
  readonly payload: PayloadClass<P>;
}

export type AnyEventType = EventType<object>;

/**
 * Declares a domain event: a fact a feature states about its own data ("order 42 was paid"),
 * which other features react to without importing it.
 *
 *   export const OrderPaid = defineEvent('order.paid', OrderPaidPayload);
 */
export function defineEvent<P extends object>(name: string, payload: PayloadClass<P>): EventType<P> {
  if (!JOB_TYPE_NAME.test(name) || name.length > 100) {
    throw new Error(`event name "${name}" must be lower-case words joined by dots or dashes (at most 100 characters)`);
  }
  return Object.freeze({ name, payload });
}
