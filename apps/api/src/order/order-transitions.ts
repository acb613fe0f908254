import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainEvents } from '@app/events';
import { AppError } from '@app/http';
import { Order } from './entities/order.entity';
import { OrderEvent } from './entities/order-event.entity';
import { OrderCancelled, OrderCompleted, OrderPaid, OrderRefunded, OrderShipped } from './events/order.events';
import { canTransition, type OrderStatus } from './order-state-machine';
import { OrderError } from './order.errors';
import { OrderViewCache } from './order-view-cache';

/** The order as a transition sees it: where it is now (the compare-and-set key). */
export type OrderSnapshot = Pick<Order, 'id' | 'userId' | 'status' | 'version' | 'totalFen' | 'paidFen' | 'refundedFen'>;

export interface TransitionOptions {
  /** Who caused it, for order_events: `user:7`, `admin:3`, `wechatpay`, `timeout`. */
  actor: string;
  /** Other columns written by the same UPDATE (paid_at, tracking_no, …). */
  set?: Partial<Pick<Order, 'paidFen' | 'refundedFen' | 'transactionId' | 'paidAt' | 'trackingNo'>>;
  note?: string;
}

/**
 * The only code that changes an order's status. Inside the caller's transaction it checks the
 * state machine, then compare-and-sets status and version (`UPDATE … WHERE id = ? AND status = ?
 * AND version = ?`), records the transition in order_events and publishes the domain event in the
 * outbox: the three commit together or not at all, and the cached view goes after the commit. Of
 * two transitions racing on one order exactly
 * one matches the row; the other gets `false` (its caller answers 409 or re-reads).
 */
@Injectable()
export class OrderTransitions {
  constructor(
    private readonly events: DomainEvents,
    private readonly views: OrderViewCache,
  ) {}

  /** Throws IllegalTransition (409) when the state machine forbids it; false when another change won the race. */
  async apply(manager: EntityManager, order: OrderSnapshot, to: OrderStatus, options: TransitionOptions): Promise<boolean> {
    if (!canTransition(order.status, to)) throw new AppError(OrderError.IllegalTransition);
    const result = await manager
      .createQueryBuilder()
      .update(Order)
      .set({ ...options.set, status: to, version: () => 'version + 1' })
      .where('id = :id AND status = :from AND version = :version', { id: order.id, from: order.status, version: order.version })
      .updateEntity(false)
      .execute();
    if (result.affected !== 1) return false;
    this.views.dropAfterCommit(manager, order.id);
    await manager.insert(OrderEvent, { orderId: order.id, fromStatus: order.status, toStatus: to, actor: options.actor, note: options.note ?? '' });
    await this.publish(manager, { ...order, ...options.set }, to);
    return true;
  }

  /** Like apply(), but a lost race is a 409 too: for routes a person calls. */
  async applyOrConflict(manager: EntityManager, order: OrderSnapshot, to: OrderStatus, options: TransitionOptions): Promise<void> {
    if (!(await this.apply(manager, order, to, options))) throw new AppError(OrderError.IllegalTransition);
  }

  private async publish(manager: EntityManager, order: OrderSnapshot, to: OrderStatus): Promise<void> {
    const base = { orderId: order.id, userId: order.userId };
    switch (to) {
      case 'PAID':
        // back to PAID from REFUNDING (a refund that did not happen) is not a second payment
        if (order.status === 'PENDING_PAYMENT') await this.events.publish(OrderPaid, { ...base, amountFen: order.paidFen }, manager);
        return;
      case 'SHIPPED':
        await this.events.publish(OrderShipped, base, manager);
        return;
      case 'COMPLETED':
        await this.events.publish(OrderCompleted, base, manager);
        return;
      case 'CANCELLED':
        await this.events.publish(OrderCancelled, base, manager);
        return;
      case 'REFUNDED':
      case 'PARTIALLY_REFUNDED':
        await this.events.publish(OrderRefunded, { ...base, refundedFen: order.refundedFen, status: to }, manager);
        return;
      default:
        return;
    }
  }
}
