import { IsISO8601, IsObject, IsUUID, Matches } from 'class-validator';
import { JOB_TYPE_NAME } from '@app/jobs';

/** One event on its way to one consumer: the payload of the consumer's queue (`event.<consumer>`). */
export class EventDelivery {
  @IsUUID()
  eventId!: string;

  @Matches(JOB_TYPE_NAME)
  name!: string;

  @IsISO8601()
  occurredAt!: string;

  /** Validated against the event's own class when delivered. */
  @IsObject()
  event!: Record<string, unknown>;
}

/** The queue of one consumer's deliveries. */
export const consumerQueue = (consumer: string): string => `event.${consumer}`;
