// The order feature's public face: its module, its events (for consumers in other features), its errors.
export { OrderModule } from './order.module';
export { type OrderView, OrdersService } from './orders.service';
export { OrderError } from './order.errors';
export { orderConfig, type OrderConfig } from './order.config';
export { ORDER_STATUSES, type OrderStatus } from './order-state-machine';
export {
  OrderCancelled,
  OrderCompleted,
  OrderCreated,
  OrderPaid,
  OrderPaymentOrphaned,
  OrderRefunded,
  OrderShipped,
} from './events/order.events';
