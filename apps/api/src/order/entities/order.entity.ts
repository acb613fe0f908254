import { Column, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { OrderStatus } from '../order-state-machine';

/**
 * An order. `status` only changes through OrderTransitions (a compare-and-set on status and
 * version), and every change is a row in order_events. Money is integer fen.
 */
@Entity({ name: 'orders' })
@Index('idx_orders_user_created', ['userId', 'createdAt'])
@Index('idx_orders_status_created', ['status', 'createdAt'])
// the timeout sweeper: pending orders past their deadline
@Index('idx_orders_status_deadline', ['status', 'payDeadline'])
export class Order {
  @PrimaryGeneratedColumn()
  id: number;

  /** Unique, time-ordered, 6-32 of [A-Za-z0-9_-]: WeChat Pay's out_trade_no. */
  @Index('uq_orders_order_no', { unique: true })
  @Column({ name: 'order_no', type: 'varchar', length: 32 })
  orderNo: string;

  @Column({ name: 'user_id', type: 'int' })
  userId: number;

  @Column({ type: 'varchar', length: 24 })
  status: OrderStatus;

  /** Bumped by every transition: the compare-and-set key with status. */
  @Column({ type: 'int', default: 0 })
  version: number;

  @Column({ name: 'total_fen', type: 'int' })
  totalFen: number;

  @Column({ name: 'paid_fen', type: 'int', default: 0 })
  paidFen: number;

  @Column({ name: 'refunded_fen', type: 'int', default: 0 })
  refundedFen: number;

  @Column({ type: 'varchar', length: 200, default: '' })
  remark: string;

  /** WeChat stops accepting payment at this instant (time_expire), and the timeout job runs then. */
  @Column({ name: 'pay_deadline', type: 'datetime', precision: 3 })
  payDeadline: Date;

  @Column({ name: 'prepay_id', type: 'varchar', length: 64, nullable: true })
  prepayId: string | null;

  @Column({ name: 'transaction_id', type: 'varchar', length: 64, nullable: true })
  transactionId: string | null;

  @Column({ name: 'paid_at', type: 'datetime', precision: 3, nullable: true })
  paidAt: Date | null;

  @Column({ name: 'tracking_no', type: 'varchar', length: 64, nullable: true })
  trackingNo: string | null;

  /** Set by the service to the millisecond (not by the database): the list's keyset cursor holds it exactly. */
  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;
}
