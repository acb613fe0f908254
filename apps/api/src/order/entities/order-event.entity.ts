import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** The history of an order: one row per state transition (and its creation), written in the same transaction. */
@Entity({ name: 'order_events' })
export class OrderEvent {
  @PrimaryGeneratedColumn()
  id: number;

  @Index('idx_order_events_order')
  @Column({ name: 'order_id', type: 'int' })
  orderId: number;

  @Column({ name: 'from_status', type: 'varchar', length: 24, nullable: true })
  fromStatus: string | null;

  @Column({ name: 'to_status', type: 'varchar', length: 24 })
  toStatus: string;

  /** Who caused it: `user:7`, `admin:3`, `wechatpay`, `timeout`. */
  @Column({ type: 'varchar', length: 64 })
  actor: string;

  @Column({ type: 'varchar', length: 255, default: '' })
  note: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
