import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { TransactionRunner } from '@app/database';
import { AppError } from '@app/http';
import { type AuditActor, AuditLogService, checkPageDepth } from '../admin';
import { Order } from './entities/order.entity';
import { OrderError } from './order.errors';
import { type RefundView, OrderRefundsService } from './order-refunds.service';
import type { OrderStatus } from './order-state-machine';
import { OrderTransitions } from './order-transitions';
import { type OrderView, OrdersService } from './orders.service';

export interface AdminOrderQuery {
  page: number;
  pageSize: number;
  status?: OrderStatus;
  userId?: number;
  from?: Date;
  to?: Date;
}

export interface AdminOrderPage {
  items: OrderView[];
  total: number;
  page: number;
  pageSize: number;
}

/** The dashboard's orders: search, ship, refund; every write and its audit row in one transaction. */
@Injectable()
export class AdminOrdersService {
  constructor(
    @InjectRepository(Order) private readonly orders: Repository<Order>,
    private readonly ordersService: OrdersService,
    private readonly refunds: OrderRefundsService,
    private readonly transactions: TransactionRunner,
    private readonly transitions: OrderTransitions,
    private readonly audit: AuditLogService,
  ) {}

  /** Newest first; served by idx_orders_status_created / idx_orders_user_created (docs/orders-explain.md). */
  async list(query: AdminOrderQuery): Promise<AdminOrderPage> {
    checkPageDepth(query);
    const builder = this.orders.createQueryBuilder('o').orderBy('o.createdAt', 'DESC').addOrderBy('o.id', 'DESC');
    if (query.status) builder.andWhere('o.status = :status', { status: query.status });
    if (query.userId !== undefined) builder.andWhere('o.userId = :userId', { userId: query.userId });
    if (query.from) builder.andWhere('o.createdAt >= :from', { from: query.from });
    if (query.to) builder.andWhere('o.createdAt < :to', { to: query.to });
    const [rows, total] = await builder
      .skip((query.page - 1) * query.pageSize)
      .take(query.pageSize)
      .getManyAndCount();
    return { items: await this.ordersService.withItems(rows), total, page: query.page, pageSize: query.pageSize };
  }

  async ship(actor: AuditActor, orderId: number, trackingNo: string): Promise<OrderView> {
    await this.transactions.run(async (manager) => {
      const order = await manager.findOne(Order, { where: { id: orderId } });
      if (!order) throw new AppError(OrderError.NotFound);
      await this.transitions.applyOrConflict(manager, order, 'SHIPPED', { actor: `admin:${actor.id}`, set: { trackingNo } });
      await this.audit.record(manager, actor, {
        action: 'order.ship',
        targetType: 'order',
        targetId: orderId,
        before: { status: order.status },
        after: { status: 'SHIPPED', trackingNo },
      });
    });
    return this.ordersService.get(orderId);
  }

  async refund(actor: AuditActor, orderId: number, amountFen: number, reason: string): Promise<RefundView> {
    return this.refunds.refund(orderId, amountFen, reason, `admin:${actor.id}`, (manager, refund) =>
      this.audit.record(manager, actor, {
        action: 'order.refund',
        targetType: 'order',
        targetId: orderId,
        before: { status: refund.before.status, refundedFen: refund.before.refundedFen, paidFen: refund.before.paidFen },
        after: { status: 'REFUNDING', outRefundNo: refund.outRefundNo, amountFen: refund.amountFen, reason },
      }),
    );
  }
}
