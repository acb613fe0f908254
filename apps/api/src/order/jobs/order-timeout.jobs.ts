import { IsInt, Min } from 'class-validator';
import { defineJob } from '@app/jobs';

export class ExpireUnpaidOrderPayload {
  @IsInt() @Min(1) orderId!: number;
}

/** At the order's pay deadline: ask WeChat Pay, then mark it paid or close and cancel it. Retried while WeChat cannot answer. */
export const ExpireUnpaidOrder = defineJob({
  name: 'order.expire-unpaid',
  payload: ExpireUnpaidOrderPayload,
  attempts: 8,
  backoffMs: 5_000,
  timeoutMs: 30_000,
  concurrency: 5,
});

export class SweepUnpaidOrdersPayload {}

/** Every ORDER_SWEEP_INTERVAL_S: pending orders past their deadline whose timeout job was lost (a flushed Redis, the embedded profile's restart). */
export const SweepUnpaidOrders = defineJob({
  name: 'order.sweep-unpaid',
  payload: SweepUnpaidOrdersPayload,
  attempts: 1,
  timeoutMs: 120_000,
  concurrency: 1,
});
