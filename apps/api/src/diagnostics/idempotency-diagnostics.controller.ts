import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AppError, CommonError, Idempotent, Public } from '@app/http';
import { DiagnosticOrderDto } from './dto/diagnostic-order.dto';

/**
 * A write with a visible side effect (an execution counter) and a slow body, so the e2e
 * suite can prove that duplicates run once (ENABLE_TEST_ROUTES only).
 */
@ApiExcludeController()
@Public()
@Controller('diagnostics/idempotent')
export class IdempotencyDiagnosticsController {
  private executions = 0;

  @Post('orders')
  @Idempotent()
  async submit(@Body() order: DiagnosticOrderDto): Promise<{ orderNo: number; sku: string; quantity: number }> {
    this.executions += 1;
    const orderNo = this.executions;
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (order.sku === 'sold-out') throw new AppError(CommonError.Conflict, { message: 'sold out' });
    return { orderNo, sku: order.sku, quantity: order.quantity };
  }

  @Get('executions')
  count(): { executions: number } {
    return { executions: this.executions };
  }
}
