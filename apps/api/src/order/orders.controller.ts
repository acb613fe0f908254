import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AccessError, ApiErrors, CurrentPrincipal, Idempotent, ParseIdPipe, type Principal, requireUser, Signed } from '@app/http';
import { type RequestPaymentParams, WechatPayCallErrors, WechatPayError } from '@app/wechat';
import { CreateOrderDto, OrderListQueryDto } from './dto/order.dto';
import { OrderError } from './order.errors';
import { OrderPaymentsService } from './order-payments.service';
import { type OrderListPage, type OrderView, OrdersService } from './orders.service';

/** What prepay, query and close may answer: WeChat Pay's own codes (payment block). */
const PAY_CALL_ERRORS = [...WechatPayCallErrors, WechatPayError.OrderClosed, WechatPayError.OrderPaid, WechatPayError.OutTradeNoUsed, WechatPayError.UserPaying];

/** The buyer's orders (pay and cancel may call WeChat Pay: its errors are the payment block's). Another user's order is 404 on every route: never its data, never its existence. */
@ApiTags('orders')
@ApiBearerAuth()
@ApiErrors(AccessError.Forbidden)
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly payments: OrderPaymentsService,
  ) {}

  @Post()
  @Signed()
  @Idempotent({ required: true })
  @ApiOperation({ summary: 'Place an order: prices from the catalogue, stock reserved atomically; Idempotency-Key required' })
  @ApiErrors(OrderError.OutOfStock, OrderError.SkuUnavailable, OrderError.TotalTooLarge)
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateOrderDto): Promise<OrderView> {
    return this.orders.create(requireUser(principal), body.items, body.remark ?? '');
  }

  @Get()
  @ApiOperation({ summary: 'My orders, newest first, cursor-paged; filter by status' })
  @ApiErrors(OrderError.InvalidCursor)
  list(@CurrentPrincipal() principal: Principal, @Query() query: OrderListQueryDto): Promise<OrderListPage> {
    return this.orders.listOwn(requireUser(principal), { cursor: query.cursor, limit: query.limit ?? 20, status: query.status });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of my orders' })
  @ApiErrors(OrderError.NotFound)
  get(@CurrentPrincipal() principal: Principal, @Param('id', ParseIdPipe) id: number): Promise<OrderView> {
    return this.orders.getOwn(requireUser(principal), id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Signed()
  @ApiOperation({ summary: 'Cancel my unpaid order (stock released once; WeChat Pay asked first when a prepay exists)' })
  @ApiErrors(OrderError.NotFound, OrderError.IllegalTransition, ...PAY_CALL_ERRORS)
  async cancel(@CurrentPrincipal() principal: Principal, @Param('id', ParseIdPipe) id: number): Promise<OrderView> {
    const userId = requireUser(principal);
    await this.payments.cancelByUser(userId, id);
    return this.orders.getOwn(userId, id);
  }

  @Post(':id/pay')
  @HttpCode(200)
  @Signed()
  @ApiOperation({ summary: 'JSAPI prepay for my pending order: the parameters of wx.requestPayment (the same prepay when asked again)' })
  @ApiErrors(OrderError.NotFound, OrderError.IllegalTransition, OrderError.PayDeadlinePassed, ...PAY_CALL_ERRORS)
  pay(@CurrentPrincipal() principal: Principal, @Param('id', ParseIdPipe) id: number): Promise<RequestPaymentParams> {
    return this.payments.pay(requireUser(principal), id);
  }

  @Post(':id/confirm-receipt')
  @HttpCode(200)
  @ApiOperation({ summary: 'I received my shipped order: COMPLETED' })
  @ApiErrors(OrderError.NotFound, OrderError.IllegalTransition)
  confirmReceipt(@CurrentPrincipal() principal: Principal, @Param('id', ParseIdPipe) id: number): Promise<OrderView> {
    return this.orders.confirmReceipt(requireUser(principal), id);
  }
}
