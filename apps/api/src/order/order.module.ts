import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminModule } from '../admin';
import { CatalogueModule } from '../catalogue';
import { UserModule } from '../user';
import { AdminOrdersController } from './admin-orders.controller';
import { AdminOrdersService } from './admin-orders.service';
import { OrderEvent } from './entities/order-event.entity';
import { OrderItem } from './entities/order-item.entity';
import { OrderRefund } from './entities/order-refund.entity';
import { Order } from './entities/order.entity';
import { OrderPaymentsService } from './order-payments.service';
import { OrderRefundsService } from './order-refunds.service';
import { OrderTimeouts } from './order-timeouts';
import { OrderViewCache } from './order-view-cache';
import { OrderTransitions } from './order-transitions';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';
import { PaymentNotifyController } from './payment-notify.controller';

/**
 * Orders: placing (stock from the catalogue), the state machine, WeChat Pay (prepay, notify,
 * timeouts, refunds; through the WechatPayGateway token, which the global WechatPayModule provides),
 * the dashboard's orders.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Order, OrderItem, OrderEvent, OrderRefund]), CatalogueModule, UserModule, AdminModule],
  controllers: [OrdersController, PaymentNotifyController, AdminOrdersController],
  providers: [OrdersService, OrderTransitions, OrderViewCache, OrderPaymentsService, OrderRefundsService, OrderTimeouts, AdminOrdersService],
  exports: [OrdersService],
})
export class OrderModule {}
