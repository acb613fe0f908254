import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '@app/http';

/**
 * Order errors: the order block (4000-4499). Sub-ranges: 4000-4099 orders, 4100-4149 the
 * catalogue (catalogue.errors.ts), 4200-4299 the order side of WeChat Pay (pay, notify, refunds); WeChat Pay's own
 * failures are the payment block's (libs/wechat WechatPayError, 4501-4525).
 * docs/orders.md lists them all. Codes never change meaning once shipped.
 */
export const OrderError = defineErrors('order', {
  OutOfStock: { code: 4001, status: HttpStatus.CONFLICT, message: 'Not enough stock' },
  NotFound: { code: 4002, status: HttpStatus.NOT_FOUND, message: 'Order not found' },
  IllegalTransition: { code: 4003, status: HttpStatus.CONFLICT, message: 'The order is not in a state that allows this' },
  SkuUnavailable: { code: 4004, status: HttpStatus.CONFLICT, message: 'A SKU of the order does not exist or is not on sale' },
  InvalidCursor: { code: 4005, status: HttpStatus.BAD_REQUEST, message: 'Invalid cursor' },
  TotalTooLarge: { code: 4006, status: HttpStatus.BAD_REQUEST, message: 'The order total is too large' },

  PayDeadlinePassed: { code: 4201, status: HttpStatus.CONFLICT, message: 'The time to pay this order has passed' },
  NotifyOrderUnknown: { code: 4202, status: HttpStatus.NOT_FOUND, message: 'The notification names an unknown order' },
  NotifyMismatch: { code: 4203, status: HttpStatus.BAD_REQUEST, message: 'The notification does not match the order' },
  RefundExceedsPaid: { code: 4204, status: HttpStatus.CONFLICT, message: 'Refunds would exceed what was paid' },
  RefundUnknown: { code: 4205, status: HttpStatus.NOT_FOUND, message: 'The notification names an unknown refund' },
  RefundInProgress: { code: 4206, status: HttpStatus.CONFLICT, message: 'Another refund of this order is in progress' },
});
