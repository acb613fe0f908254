import { Controller, HttpCode, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors, ErrorBody, KeepRawBody, Public, RawResponse, type RawBodyRequest, resolveError } from '@app/http';
import { NoRateLimit } from '@app/resilience';
import { signatureHeadersOf, WechatPayNotifyErrors } from '@app/wechat';
import { OrderError } from './order.errors';
import { OrderPaymentsService } from './order-payments.service';

/** WeChat Pay's failure answer: it reads the status, and logs this body. */
const wechatFail = (message: string) => ({ code: 'FAIL', message });

/**
 * WeChat Pay's callbacks (payments and refunds). Public, never user-rate-limited, verified over the
 * raw body bytes. WeChat reads only the status: success is 204 with no body; any failure is a
 * 4xx/5xx with `{"code":"FAIL","message":…}` so that WeChat retries (a 200 carrying FAIL would
 * stop its retries). The work is one verification and one short transaction: well inside 5 s.
 */
@ApiTags('payments')
@Controller('payments/wechat')
export class PaymentNotifyController {
  private readonly logger = new Logger(PaymentNotifyController.name);

  constructor(private readonly payments: OrderPaymentsService) {}

  @Post('notify')
  @Public()
  @NoRateLimit()
  @KeepRawBody()
  @RawResponse()
  @ErrorBody(wechatFail)
  @HttpCode(204)
  @ApiOperation({ summary: 'WeChat Pay notification (TRANSACTION.SUCCESS, REFUND.*): 204 when applied or already applied' })
  @ApiErrors(OrderError.NotifyMismatch, OrderError.NotifyOrderUnknown, OrderError.RefundUnknown, ...WechatPayNotifyErrors)
  async notify(@Req() request: RawBodyRequest, @Res() reply: FastifyReply): Promise<void> {
    try {
      await this.payments.handleNotify(signatureHeadersOf(request.headers), request.rawBody ?? Buffer.alloc(0));
      await reply.status(204).send();
    } catch (error) {
      const { definition, message } = resolveError(error);
      const status = definition.status >= 400 ? definition.status : 500;
      this.logger.warn({ status, code: definition.code, message }, 'WeChat Pay notification refused');
      await reply.status(status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(wechatFail(message)));
    }
  }
}
