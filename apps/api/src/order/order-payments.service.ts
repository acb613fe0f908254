import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, Repository } from 'typeorm';
import { TransactionRunner } from '@app/database';
import { DomainEvents } from '@app/events';
import { AppError } from '@app/http';
import { type NotifyHeaders, type PayTransaction, type RequestPaymentParams, type TradeState, type WechatPayConfig, WechatPayError, WechatPayGateway } from '@app/wechat';
import { UsersService } from '../user';
import { Order } from './entities/order.entity';
import { OrderPaymentOrphaned } from './events/order.events';
import { OrderError } from './order.errors';
import { OrderRefundsService } from './order-refunds.service';
import { OrderTransitions } from './order-transitions';
import { OrdersService } from './orders.service';

/** WeChat Pay will never take money for a transaction in these states: the order may be cancelled. */
const NEVER_PAYABLE = new Set<TradeState>(['CLOSED', 'REVOKED', 'PAYERROR']);
/** The money arrived (REFUND: it did, and was refunded since). */
const PAID_STATES = new Set<TradeState>(['SUCCESS', 'REFUND']);

export const NOTIFY_PATH = '/api/v1/payments/wechat/notify';

export type SettleOutcome = 'paid' | 'cancelled' | 'unchanged';

/**
 * Money in: prepay for wx.requestPayment, the verified payment notification, and the end of an
 * unpaid order (the buyer's cancel, the timeout). The rule that keeps payments from being lost:
 * an order that may have a WeChat Pay transaction is only cancelled after WeChat Pay says it was
 * not paid and will not be (query → close → on a close error, query again); a payment reported
 * at any point wins the compare-and-set against the cancel, or finds the order cancelled and is
 * recorded for a refund (never dropped).
 */
@Injectable()
export class OrderPaymentsService {
  private readonly logger = new Logger(OrderPaymentsService.name);
  private readonly notifyBaseUrl: string;

  constructor(
    @InjectRepository(Order) private readonly orders: Repository<Order>,
    private readonly ordersService: OrdersService,
    private readonly refunds: OrderRefundsService,
    private readonly transactions: TransactionRunner,
    private readonly transitions: OrderTransitions,
    private readonly events: DomainEvents,
    private readonly users: UsersService,
    @Inject(ConfigService) configService: ConfigService,
    private readonly gateway: WechatPayGateway,
  ) {
    // WECHAT_PAY_NOTIFY_BASE_URL: empty while payment is disabled (then every gateway call answers 503 4501)
    this.notifyBaseUrl = configService.getOrThrow<WechatPayConfig>('wechatPay').notifyBaseUrl;
  }

  /**
   * JSAPI prepay for one of the caller's pending orders, and what wx.requestPayment needs. The
   * prepay_id is stored: asking again reuses it (no second WeChat order). WeChat Pay stops taking
   * payment at the order's deadline (time_expire), the moment the timeout job runs.
   */
  async pay(userId: number, orderId: number): Promise<RequestPaymentParams> {
    const order = await this.orders.findOne({ where: { id: orderId, userId } });
    if (!order) throw new AppError(OrderError.NotFound);
    const gateway = this.requireGateway();
    if (order.status !== 'PENDING_PAYMENT') throw new AppError(OrderError.IllegalTransition);
    if (order.payDeadline.getTime() <= Date.now()) throw new AppError(OrderError.PayDeadlinePassed);
    if (order.prepayId) return gateway.requestPaymentParams(order.prepayId);

    const user = await this.users.findById(userId);
    if (!user) throw new AppError(OrderError.NotFound);
    const items = (await this.ordersService.withItems([order]))[0].items;
    const description = items.length === 1 ? items[0].productName : `${items[0]?.productName ?? 'Order'} +${items.length - 1}`;
    const { prepayId } = await gateway.prepayJsapi({
      outTradeNo: order.orderNo,
      description: description.slice(0, 127),
      amountFen: order.totalFen,
      payerOpenId: user.openid,
      notifyUrl: `${this.notifyBaseUrl}${NOTIFY_PATH}`,
      timeExpire: order.payDeadline,
    });
    // stored only while the order is still pending: a cancel that won meanwhile closes the WeChat order instead
    const stored = await this.orders.update({ id: order.id, status: 'PENDING_PAYMENT' }, { prepayId });
    if (stored.affected !== 1) {
      await gateway.closeTransaction(order.orderNo).catch((error: unknown) => this.logger.warn({ orderNo: order.orderNo, error: String(error) }, 'close after a lost prepay race failed'));
      throw new AppError(OrderError.IllegalTransition);
    }
    return gateway.requestPaymentParams(prepayId);
  }

  /** The buyer cancels a pending order: stock back once; if WeChat Pay already has the money, the order ends PAID and this is a 409. */
  async cancelByUser(userId: number, orderId: number): Promise<void> {
    const order = await this.orders.findOne({ where: { id: orderId, userId } });
    if (!order) throw new AppError(OrderError.NotFound);
    if (order.status !== 'PENDING_PAYMENT') throw new AppError(OrderError.IllegalTransition);
    const outcome = await this.settle(order, `user:${userId}`, { queryWechat: order.prepayId !== null });
    if (outcome !== 'cancelled') throw new AppError(OrderError.IllegalTransition);
  }

  /** The timeout job and the sweeper: an unpaid order past its deadline is settled with WeChat Pay, then cancelled. */
  async expireIfUnpaid(orderId: number, now = new Date()): Promise<SettleOutcome> {
    const order = await this.orders.findOne({ where: { id: orderId } });
    if (!order || order.status !== 'PENDING_PAYMENT' || order.payDeadline.getTime() > now.getTime()) return 'unchanged';
    return this.settle(order, 'timeout', { queryWechat: true });
  }

  /** Pending orders whose deadline passed more than `graceMs` ago: what the sweeper settles. */
  async overdueOrderIds(now: Date, graceMs: number, limit: number): Promise<number[]> {
    const rows = await this.orders
      .createQueryBuilder('o')
      .select('o.id', 'id')
      .where('o.status = :status AND o.payDeadline < :before', { status: 'PENDING_PAYMENT', before: new Date(now.getTime() - graceMs) })
      .orderBy('o.payDeadline', 'ASC')
      .limit(limit)
      .getRawMany<{ id: number }>();
    return rows.map((row) => Number(row.id));
  }

  /**
   * Asks WeChat Pay before cancelling: paid → PAID; payable → close it there (on a close error,
   * query again: paid → PAID, still payable → throw, so the job retries); never payable → cancel.
   */
  private async settle(order: Order, actor: string, options: { queryWechat: boolean }): Promise<SettleOutcome> {
    if (options.queryWechat) {
      const gateway = this.gateway;
      let transaction: PayTransaction | null;
      try {
        transaction = await gateway.queryTransaction(order.orderNo);
      } catch (error) {
        // payment switched off and this order never reached WeChat Pay: nothing can have been paid
        if (!(order.prepayId === null && isNotConfigured(error))) throw error;
        transaction = null;
      }
      if (transaction && PAID_STATES.has(transaction.tradeState)) return this.settlePaid(transaction, actor);
      if (transaction && !NEVER_PAYABLE.has(transaction.tradeState)) {
        try {
          await gateway.closeTransaction(order.orderNo);
        } catch (error) {
          transaction = await gateway.queryTransaction(order.orderNo);
          if (transaction && PAID_STATES.has(transaction.tradeState)) return this.settlePaid(transaction, actor);
          if (transaction && !NEVER_PAYABLE.has(transaction.tradeState)) throw error;
        }
      }
    }
    const cancelled = await this.transactions.run(async (manager) => {
      const current = await manager.findOne(Order, { where: { id: order.id } });
      if (current?.status !== 'PENDING_PAYMENT') return false;
      return this.ordersService.cancelWithin(manager, current, actor, actor === 'timeout' ? 'not paid in time' : '');
    });
    if (!cancelled) return 'unchanged';
    await this.ordersService.afterStockReleased(order.id);
    return 'cancelled';
  }

  private async settlePaid(transaction: PayTransaction, actor: string): Promise<SettleOutcome> {
    await this.applyPayment(transaction, actor === 'timeout' ? 'wechatpay-query' : 'wechatpay');
    return 'paid';
  }

  /**
   * A verified payment notification (signature over the raw bytes, timestamp, decryption: the
   * gateway). Checked against the order (mchid, appid, out_trade_no, amount.total, trade_state),
   * then applied once: a repeat finds the order paid and changes nothing. Throws AppError → 4xx/5xx.
   */
  async handleNotify(headers: NotifyHeaders, rawBody: Buffer): Promise<void> {
    const notification = this.requireGateway().parseNotification(headers, rawBody);
    if (notification.kind === 'refund') {
      await this.refunds.applyRefundResult(notification.refund, notification.refund.mchId);
      return;
    }
    const transaction = notification.transaction;
    if (!PAID_STATES.has(transaction.tradeState)) return; // NOTPAY, CLOSED…: nothing happened to the money
    await this.applyPayment(transaction, 'wechatpay');
  }

  /** Marks the order PAID from a WeChat Pay transaction that says so (notify or query). Idempotent. */
  async applyPayment(transaction: PayTransaction, actor: string): Promise<void> {
    const gateway = this.requireGateway();
    if (transaction.mchId !== gateway.merchant.mchId || transaction.appId !== gateway.merchant.appId) throw new AppError(OrderError.NotifyMismatch);
    // a lost compare-and-set means the order changed meanwhile (a cancel, another notification): look again
    for (let attempt = 0; attempt < 3; attempt += 1) {
      if (await this.transactions.run((manager) => this.applyPaymentWithin(manager, transaction, actor))) return;
    }
    throw new AppError(OrderError.IllegalTransition);
  }

  /** False when the order changed between the read and the compare-and-set. */
  private async applyPaymentWithin(manager: EntityManager, transaction: PayTransaction, actor: string): Promise<boolean> {
    const order = await manager.findOne(Order, { where: { orderNo: transaction.outTradeNo } });
    if (!order) throw new AppError(OrderError.NotifyOrderUnknown);
    if (transaction.amountTotal !== order.totalFen) throw new AppError(OrderError.NotifyMismatch);
    if (order.status === 'PENDING_PAYMENT') {
      return this.transitions.apply(manager, order, 'PAID', {
        actor,
        set: { paidFen: transaction.amountTotal, transactionId: transaction.transactionId ?? null, paidAt: new Date() },
      });
    }
    if (order.status === 'CANCELLED' && order.transactionId === null) {
      // money for an order that was cancelled: never dropped, recorded once for a refund
      const claimed = await manager.update(
        Order,
        { id: order.id, status: 'CANCELLED', transactionId: IsNull() },
        { transactionId: transaction.transactionId ?? 'unknown' },
      );
      if (claimed.affected === 1) {
        this.logger.error({ orderNo: order.orderNo }, 'payment reported for a cancelled order: needs a refund');
        await this.events.publish(
          OrderPaymentOrphaned,
          { orderId: order.id, userId: order.userId, amountFen: transaction.amountTotal, transactionId: transaction.transactionId },
          manager,
        );
      }
    }
    // already PAID or later: a repeated notification, no second effect
    return true;
  }

  /** The gateway itself answers 503 (4501) on every call while payment is switched off. */
  private requireGateway(): WechatPayGateway {
    return this.gateway;
  }
}

function isNotConfigured(error: unknown): boolean {
  return error instanceof AppError && error.definition === WechatPayError.NotConfigured;
}
