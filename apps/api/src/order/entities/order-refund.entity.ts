import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type OrderRefundStatus = 'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED';

/** One refund of an order at WeChat Pay; `out_refund_no` makes asking again idempotent there and here. */
@Entity({ name: 'order_refunds' })
export class OrderRefund {
  @PrimaryGeneratedColumn()
  id: number;

  @Index('idx_order_refunds_order')
  @Column({ name: 'order_id', type: 'int' })
  orderId: number;

  @Index('uq_order_refunds_out_refund_no', { unique: true })
  @Column({ name: 'out_refund_no', type: 'varchar', length: 64 })
  outRefundNo: string;

  @Column({ name: 'amount_fen', type: 'int' })
  amountFen: number;

  @Column({ type: 'varchar', length: 80, default: '' })
  reason: string;

  @Column({ type: 'varchar', length: 16 })
  status: OrderRefundStatus;

  @Column({ name: 'refund_id', type: 'varchar', length: 64, nullable: true })
  refundId: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;
}
