import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiErrors, CurrentPrincipal, Idempotent, ParseIdPipe, type Principal, Roles } from '@app/http';
import { WechatPayCallErrors, WechatPayError } from '@app/wechat';
import { AuditActors, PAGE_TOO_DEEP } from '../admin';
import { type AdminOrderPage, AdminOrdersService } from './admin-orders.service';
import { AdminOrderQueryDto, RefundOrderDto, ShipOrderDto } from './dto/order.dto';
import { OrderError } from './order.errors';
import type { RefundView } from './order-refunds.service';
import type { OrderView } from './orders.service';

/** The dashboard's orders: operators read and ship, admins also refund; writes are audited. */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin', 'operator')
@Controller('admin/orders')
export class AdminOrdersController {
  constructor(
    private readonly admin: AdminOrdersService,
    private readonly actors: AuditActors,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Orders newest first; filter by status, user and creation time' })
  @ApiErrors(PAGE_TOO_DEEP)
  list(@Query() query: AdminOrderQueryDto): Promise<AdminOrderPage> {
    return this.admin.list({ ...query, page: query.page ?? 1, pageSize: query.pageSize ?? 20 });
  }

  @Post(':id/ship')
  @HttpCode(200)
  @ApiOperation({ summary: 'Ship a paid order with its tracking number (audited)' })
  @ApiErrors(OrderError.NotFound, OrderError.IllegalTransition)
  async ship(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseIdPipe) id: number,
    @Body() body: ShipOrderDto,
    @Req() request: FastifyRequest,
  ): Promise<OrderView> {
    return this.admin.ship(await this.actors.of(principal, request), id, body.trackingNo);
  }

  @Post(':id/refund')
  @HttpCode(200)
  @Roles('admin')
  @Idempotent()
  @ApiOperation({ summary: 'Refund part or all of a paid order through WeChat Pay (idempotent by out_refund_no; audited)' })
  @ApiErrors(
    OrderError.NotFound,
    OrderError.IllegalTransition,
    OrderError.RefundExceedsPaid,
    OrderError.RefundInProgress,
    ...WechatPayCallErrors,
    WechatPayError.RefundNotEnough,
  )
  async refund(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseIdPipe) id: number,
    @Body() body: RefundOrderDto,
    @Req() request: FastifyRequest,
  ): Promise<RefundView> {
    return this.admin.refund(await this.actors.of(principal, request), id, body.amount, body.reason ?? '');
  }
}
