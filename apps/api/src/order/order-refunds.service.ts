import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import { TransactionRunner } from '@app/database';
import { AppError } from '@app/http';
import { type PayRefund, type WechatPayConfig, WechatPayGateway } from '@app/wechat';
import { Order } from './entities/order.entity';
import { OrderRefund, type OrderRefundStatus } from './entities/order-refund.entity';
import { OrderError } from './order.errors';
import { OrderTransitions } from './order-transitions';

export const REFUND_NOTIFY_PATH = '/api/v1/payments/wechat/notify';

/** Runs inside the refund's first transaction (the admin feature's audit row). */
export type WithinRefund = (manager: EntityManager, refund: { orderId: number; outRefundNo: string; amountFen: number; before: Order }) => Promise<void>;

export interface RefundView {
  outRefundNo: string;
  amountFen: number;
  status: OrderRefundStatus;
}

/**
 * Money out. A refund is a row (out_refund_no = order number + `R` + its sequence) written with
 * the order's move to REFUNDING in one transaction, then sent to WeChat Pay; asking again while it
 * is in flight re-sends the same out_refund_no (WeChat Pay refunds it once). The sum of refunds
 * never exceeds what was paid. The result (the answer, or the REFUND.* notification) is applied
 * once: only a PROCESSING refund row moves.
 */
@Injectable()
export class OrderRefundsService {
  private readonly logger = new Logger(OrderRefundsService.name);
  private readonly notifyBaseUrl: string;

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly transitions: OrderTransitions,
    @Inject(ConfigService) configService: ConfigService,
    private readonly gateway: WechatPayGateway,
  ) {
    // WECHAT_PAY_NOTIFY_BASE_URL: empty while payment is disabled (then every gateway call answers 503 4501)
    this.notifyBaseUrl = configService.getOrThrow<WechatPayConfig>('wechatPay').notifyBaseUrl;
  }

  async refund(orderId: number, amountFen: number, reason: string, actor: string, within?: WithinRefund): Promise<RefundView> {
    const gateway = this.gateway;
    const { refund, order } = await this.transactions.run(async (manager) => {
      const order = await manager.findOne(Order, { where: { id: orderId } });
      if (!order) throw new AppError(OrderError.NotFound);
      const inFlight = await manager.findOne(OrderRefund, { where: { orderId, status: 'PROCESSING' } });
      if (inFlight) {
        // the same refund asked again (a timeout, a retry): send the same out_refund_no again
        if (inFlight.amountFen !== amountFen) throw new AppError(OrderError.RefundInProgress);
        return { refund: inFlight, order };
      }
      if (order.refundedFen + amountFen > order.paidFen) throw new AppError(OrderError.RefundExceedsPaid);
      const count = await manager.count(OrderRefund, { where: { orderId } });
      const outRefundNo = `${order.orderNo}R${count + 1}`;
      await this.transitions.applyOrConflict(manager, order, 'REFUNDING', { actor, note: `refund ${outRefundNo}: ${amountFen} fen` });
      const created = manager.create(OrderRefund, { orderId, outRefundNo, amountFen, reason, status: 'PROCESSING', refundId: null });
      await manager.insert(OrderRefund, created);
      await within?.(manager, { orderId, outRefundNo, amountFen, before: order });
      return { refund: created, order };
    });

    const input = {
      outTradeNo: order.orderNo,
      outRefundNo: refund.outRefundNo,
      refundFen: refund.amountFen,
      totalFen: order.paidFen,
      reason: refund.reason || undefined,
      notifyUrl: `${this.notifyBaseUrl}${REFUND_NOTIFY_PATH}`,
    };
    let result: PayRefund;
    try {
      result = await gateway.refund(input);
    } catch (error) {
      // a timeout or 5xx: did it get there? Ask, and send the same out_refund_no again if not
      const known = await gateway.queryRefund(refund.outRefundNo).catch(() => null);
      if (!known) {
        this.logger.warn({ outRefundNo: refund.outRefundNo, error: String(error) }, 'refund failed; retrying once with the same out_refund_no');
        result = await gateway.refund(input);
      } else {
        result = known;
      }
    }
    await this.applyRefundResult(result, gateway.merchant.mchId);
    return { outRefundNo: refund.outRefundNo, amountFen: refund.amountFen, status: result.status };
  }

  /** A refund's outcome (WeChat's answer or its REFUND.* notification), applied once. */
  async applyRefundResult(result: PayRefund, mchId: string): Promise<void> {
    if (mchId !== this.gateway.merchant.mchId) throw new AppError(OrderError.NotifyMismatch);
    if (result.status === 'PROCESSING') return;
    await this.transactions.run(async (manager) => {
      const refund = await manager.findOne(OrderRefund, { where: { outRefundNo: result.outRefundNo } });
      if (!refund) throw new AppError(OrderError.RefundUnknown);
      if (refund.status !== 'PROCESSING') return; // applied before: a repeated notification
      const order = await manager.findOne(Order, { where: { id: refund.orderId } });
      if (!order || order.orderNo !== result.outTradeNo) throw new AppError(OrderError.NotifyMismatch);
      const moved = await manager.update(OrderRefund, { id: refund.id, status: 'PROCESSING' }, { status: result.status, refundId: result.refundId ?? null });
      if (moved.affected !== 1) return;
      const refundedFen = order.refundedFen + (result.status === 'SUCCESS' ? refund.amountFen : 0);
      const to = refundedFen === 0 ? 'PAID' : refundedFen >= order.paidFen ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
      const note = `refund ${refund.outRefundNo}: ${result.status}`;
      if (!(await this.transitions.apply(manager, order, to, { actor: 'wechatpay', set: { refundedFen }, note }))) {
        throw new AppError(OrderError.IllegalTransition);
      }
    });
  }
}
