import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type EventContext, OnEvent } from '@app/events';
import { JobHandler, Jobs } from '@app/jobs';
import { OrderCreated, type OrderCreatedPayload } from './events/order.events';
import { ExpireUnpaidOrder, type ExpireUnpaidOrderPayload, SweepUnpaidOrders } from './jobs/order-timeout.jobs';
import type { OrderConfig } from './order.config';
import { OrderPaymentsService } from './order-payments.service';

// a timeout job that is merely late is left to run: the sweeper takes orders this far past their deadline
const SWEEP_GRACE_MS = 60_000;
const SWEEP_BATCH = 100;

/**
 * Unpaid orders end at their deadline. The delayed job is enqueued by a consumer of OrderCreated
 * (the outbox: it exists if and only if the order committed; its id makes redelivery harmless);
 * a periodic sweeper catches orders whose job was lost. Both end in expireIfUnpaid(), which asks
 * WeChat Pay first and compare-and-sets, so running it twice, or beside a notification, is safe.
 */
@Injectable()
export class OrderTimeouts implements OnApplicationBootstrap {
  private readonly logger = new Logger(OrderTimeouts.name);
  private readonly config: OrderConfig;

  constructor(
    private readonly jobs: Jobs,
    private readonly payments: OrderPaymentsService,
    @Inject(ConfigService) configService: ConfigService,
  ) {
    this.config = configService.getOrThrow<OrderConfig>('order');
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.jobs.repeat(SweepUnpaidOrders, {}, { id: 'order-sweep-unpaid', everyMs: this.config.sweepIntervalS * 1000 });
    } catch (error) {
      // Redis down at boot: the queue keeps the schedule and writes it once Redis answers (JOBS_SCHEDULE_KEEP_MS)
      this.logger.warn({ error: String(error) }, 'could not schedule the unpaid-order sweeper');
    }
  }

  // idempotent by itself: the job's id is the order's, so a redelivery adds nothing
  @OnEvent(OrderCreated, 'order.schedule-pay-timeout', { dedupe: 'none' })
  async schedule(event: OrderCreatedPayload, _context: EventContext): Promise<void> {
    await this.jobs.enqueue(ExpireUnpaidOrder, { orderId: event.orderId }, { id: `order-${event.orderId}-pay-timeout`, runAt: new Date(event.payDeadline) });
  }

  @JobHandler(ExpireUnpaidOrder)
  async expire(payload: ExpireUnpaidOrderPayload): Promise<void> {
    await this.payments.expireIfUnpaid(payload.orderId);
  }

  @JobHandler(SweepUnpaidOrders)
  async sweep(): Promise<void> {
    const now = new Date();
    const overdue = await this.payments.overdueOrderIds(now, SWEEP_GRACE_MS, SWEEP_BATCH);
    for (const orderId of overdue) {
      try {
        const outcome = await this.payments.expireIfUnpaid(orderId, now);
        this.logger.warn({ orderId, outcome }, 'sweeper settled an unpaid order whose timeout job was lost');
      } catch (error) {
        this.logger.warn({ orderId, error: String(error) }, 'sweeper could not settle an order; the next pass tries again');
      }
    }
  }
}
