import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * "This consumer has handled this event": written in the consumer's transaction, so a redelivered
 * event (the relay or a worker crashed after doing the work) finds it and has no second effect.
 */
@Entity({ name: 'handled_events' })
export class HandledEvent {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 36 })
  eventId: string;

  @PrimaryColumn({ type: 'varchar', length: 100 })
  consumer: string;

  @Index('idx_handled_events_handled_at')
  @Column({ name: 'handled_at', type: 'datetime', precision: 3 })
  handledAt: Date;
}
