import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A domain event written in the same transaction as the change it reports, and published by the
 * relay once committed. Sent rows are kept EVENTS_RETENTION_HOURS for inspection, then deleted.
 */
@Entity({ name: 'outbox_events' })
@Index('idx_outbox_events_unsent', ['sentAt', 'id'])
export class OutboxEvent {
  /** The event's id, a UUIDv7: time-ordered, so the relay publishes oldest first along the index. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** The validated payload as JSON. */
  @Column({ type: 'text' })
  payload: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'sent_at', type: 'datetime', precision: 3, nullable: true })
  sentAt: Date | null;
}
