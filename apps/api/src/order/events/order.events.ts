import { IsIn, IsInt, IsOptional, IsString, Min } from 'class-validator';
import { defineEvent } from '@app/events';
import { ORDER_STATUSES, type OrderStatus } from '../order-state-machine';

/** Every order event carries the order and its owner; consumers read anything else they need. */
export class OrderEventPayload {
  @IsInt() @Min(1) orderId!: number;
  @IsInt() @Min(1) userId!: number;
}

export class OrderCreatedPayload extends OrderEventPayload {
  @IsInt() @Min(0) totalFen!: number;
  /** ISO time: the timeout job runs then. */
  @IsString() payDeadline!: string;
}

export class OrderPaidPayload extends OrderEventPayload {
  @IsInt() @Min(0) amountFen!: number;
}

export class OrderRefundedPayload extends OrderEventPayload {
  @IsInt() @Min(0) refundedFen!: number;
  @IsIn(ORDER_STATUSES) status!: OrderStatus;
}

export class OrderPaymentOrphanedPayload extends OrderEventPayload {
  @IsInt() @Min(0) amountFen!: number;
  @IsOptional() @IsString() transactionId?: string;
}

export const OrderCreated = defineEvent('order.created', OrderCreatedPayload);
export const OrderPaid = defineEvent('order.paid', OrderPaidPayload);
export const OrderShipped = defineEvent('order.shipped', OrderEventPayload);
export const OrderCompleted = defineEvent('order.completed', OrderEventPayload);
export const OrderCancelled = defineEvent('order.cancelled', OrderEventPayload);
export const OrderRefunded = defineEvent('order.refunded', OrderRefundedPayload);
/** WeChat Pay reports a payment for an order that is no longer payable (cancelled): money to refund by hand. */
export const OrderPaymentOrphaned = defineEvent('order.payment-orphaned', OrderPaymentOrphanedPayload);
