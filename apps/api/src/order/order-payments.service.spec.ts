import { jest } from '@jest/globals';
import { TwoLevelCache } from '@app/cache/two-level-cache';
import { DomainEvents } from '@app/events/domain-events';
import { OutboxEvent } from '@app/events/entities/outbox-event.entity';
import { defineEvent } from '@app/events/event-type';
import { OnEvent } from '@app/events/on-event.decorator';
import { ExhaustedKeys, KeyedLimiter } from '@app/resilience/hot-keys/keyed-limiter';
import { appErrorCodeOf, newTestService, useTestDataSource } from '@app/testing';
import { WechatPayGateway, type PayTransaction } from '@app/wechat/pay/wechat-pay.gateway';
import { WechatPayError } from '@app/wechat/pay/wechat-pay.errors';
import { Product } from '../catalogue/entities/product.entity';
import { Sku } from '../catalogue/entities/sku.entity';
import { migrations } from '../migrations';
import { User } from '../user/entities/user.entity';
import { OrderEvent } from './entities/order-event.entity';
import { OrderItem } from './entities/order-item.entity';
import { OrderRefund } from './entities/order-refund.entity';
import { Order } from './entities/order.entity';
import { loadOrderConfig } from './order.config';

// lib and feature indexes load Nest modules Jest cannot load (ADR 0003): hand over the classes themselves
jest.unstable_mockModule('@app/cache', () => ({ TwoLevelCache }));
jest.unstable_mockModule('@app/events', () => ({ DomainEvents, defineEvent, OnEvent }));
jest.unstable_mockModule('@app/resilience', () => ({ ExhaustedKeys, KeyedLimiter }));
jest.unstable_mockModule('@app/wechat', () => ({ WechatPayGateway, WechatPayError }));
// both import @app/cache: loaded only once its mock is registered (a static import is hoisted above it)
jest.unstable_mockModule('../catalogue', async () => ({ ProductsService: (await import('../catalogue/products.service' as string)).ProductsService }));
jest.unstable_mockModule('../user', async () => ({ UsersService: (await import('../user/users.service' as string)).UsersService }));

type Payments = InstanceType<(typeof import('./order-payments.service'))['OrderPaymentsService']>;
type Orders = InstanceType<(typeof import('./orders.service'))['OrdersService']>;

const MERCHANT = { appId: 'wx-unit', mchId: '1900000001' };

/** WeChat Pay as a spec wants it: every call a jest.fn(), nothing signed. */
function fakeGateway() {
  return {
    merchant: MERCHANT,
    prepayJsapi: jest.fn(async () => ({ prepayId: 'wx-prepay-1' })),
    requestPaymentParams: jest.fn((prepayId: string) => ({ timeStamp: '1', nonceStr: 'n', package: `prepay_id=${prepayId}`, signType: 'RSA' as const, paySign: 'sig' })),
    queryTransaction: jest.fn<(outTradeNo: string) => Promise<PayTransaction | null>>(),
    closeTransaction: jest.fn<(outTradeNo: string) => Promise<void>>(async () => undefined),
    refund: jest.fn(),
    queryRefund: jest.fn(),
    parseNotification: jest.fn(),
  };
}

const db = useTestDataSource({ entities: [Product, Sku, Order, OrderItem, OrderEvent, OrderRefund, OutboxEvent, User], migrations });
let gateway: ReturnType<typeof fakeGateway>;
let payments: Payments;
let orders: Orders;
let userId: number;

beforeAll(async () => {
  const { OrdersService } = (await import('./orders.service' as string)) as typeof import('./orders.service');
  const { OrderPaymentsService } = (await import('./order-payments.service' as string)) as typeof import('./order-payments.service');
  const { OrderRefundsService } = (await import('./order-refunds.service' as string)) as typeof import('./order-refunds.service');
  const { OrderTransitions } = (await import('./order-transitions' as string)) as typeof import('./order-transitions');
  const { OrderViewCache } = (await import('./order-view-cache' as string)) as typeof import('./order-view-cache');
  const { ProductsService } = (await import('../catalogue' as string)) as typeof import('../catalogue/products.service');
  const { UsersService } = (await import('../user' as string)) as typeof import('../user/users.service');
  const { dataSource } = db;
  gateway = fakeGateway();
  const events = new DomainEvents();
  const views = newTestService(OrderViewCache, { dataSource }).sut;
  const transitions = new OrderTransitions(events, views);
  const config = { order: loadOrderConfig({}), wechatPay: { notifyBaseUrl: 'https://shop.example' } };
  const products = newTestService(ProductsService, { dataSource }).sut;
  const users = newTestService(UsersService, { dataSource }).sut;
  const shared = [
    { provide: ProductsService, useValue: products },
    { provide: UsersService, useValue: users },
    { provide: DomainEvents, useValue: events },
    { provide: OrderTransitions, useValue: transitions },
    { provide: OrderViewCache, useValue: views },
    { provide: WechatPayGateway, useValue: gateway },
  ];
  orders = newTestService(OrdersService, { dataSource, providers: shared, config }).sut;
  const refunds = newTestService(OrderRefundsService, { dataSource, providers: shared, config }).sut;
  payments = newTestService(OrderPaymentsService, {
    dataSource,
    providers: [...shared, { provide: OrdersService, useValue: orders }, { provide: OrderRefundsService, useValue: refunds }],
    config,
  }).sut;
  userId = (await users.findOrCreateByOpenid('o-unit-buyer')).user.id;
});

beforeEach(() => {
  gateway.queryTransaction.mockReset();
  gateway.closeTransaction.mockReset().mockResolvedValue(undefined);
  gateway.prepayJsapi.mockClear();
});

let skuSequence = 0;
async function pendingOrder(overdue = true): Promise<{ order: Order; skuId: number }> {
  const repository = db.dataSource.getRepository(Sku);
  const product = await db.dataSource.getRepository(Product).save({ name: `p${(skuSequence += 1)}`, category: 'unit', onShelf: true });
  const sku = await repository.save({ productId: product.id, name: 'std', priceFen: 1200, stock: 5 });
  const view = await orders.create(userId, [{ skuId: sku.id, quantity: 2 }]);
  if (overdue) await db.dataSource.getRepository(Order).update({ id: view.id }, { payDeadline: new Date(Date.now() - 1000) });
  const order = await db.dataSource.getRepository(Order).findOneByOrFail({ id: view.id });
  return { order, skuId: sku.id };
}

const stockOf = async (skuId: number) => (await db.dataSource.getRepository(Sku).findOneByOrFail({ id: skuId })).stock;
const statusOf = async (id: number) => (await db.dataSource.getRepository(Order).findOneByOrFail({ id })).status;
const paidAt = (order: Order, tradeState: PayTransaction['tradeState'], overrides: Partial<PayTransaction> = {}): PayTransaction => ({
  ...MERCHANT,
  outTradeNo: order.orderNo,
  transactionId: `4200${order.id}`,
  tradeState,
  amountTotal: order.totalFen,
  ...overrides,
});

describe('OrderPaymentsService: the end of an unpaid order', () => {
  it('marks the order paid when WeChat Pay says it was, and keeps its stock', async () => {
    const { order, skuId } = await pendingOrder();
    gateway.queryTransaction.mockResolvedValue(paidAt(order, 'SUCCESS'));
    await expect(payments.expireIfUnpaid(order.id)).resolves.toBe('paid');
    expect(await statusOf(order.id)).toBe('PAID');
    expect(gateway.closeTransaction).not.toHaveBeenCalled();
    expect(await stockOf(skuId)).toBe(3);
  });

  it('closes an unpaid transaction at WeChat Pay first, then cancels and gives the stock back', async () => {
    const { order, skuId } = await pendingOrder();
    gateway.queryTransaction.mockResolvedValue(paidAt(order, 'NOTPAY'));
    await expect(payments.expireIfUnpaid(order.id)).resolves.toBe('cancelled');
    expect(gateway.closeTransaction).toHaveBeenCalledWith(order.orderNo);
    expect(await statusOf(order.id)).toBe('CANCELLED');
    expect(await stockOf(skuId)).toBe(5);
    // a second run (a retried job, the sweeper) changes nothing
    await expect(payments.expireIfUnpaid(order.id)).resolves.toBe('unchanged');
    expect(await stockOf(skuId)).toBe(5);
  });

  it('queries again when the close fails: a payment that landed meanwhile wins', async () => {
    const { order, skuId } = await pendingOrder();
    gateway.queryTransaction.mockResolvedValueOnce(paidAt(order, 'NOTPAY')).mockResolvedValueOnce(paidAt(order, 'SUCCESS'));
    gateway.closeTransaction.mockRejectedValue(new Error('ORDER_PAID'));
    await expect(payments.expireIfUnpaid(order.id)).resolves.toBe('paid');
    expect(await statusOf(order.id)).toBe('PAID');
    expect(await stockOf(skuId)).toBe(3);
  });

  it('leaves the order pending (the job retries) when the close fails and WeChat Pay still calls it payable', async () => {
    const { order, skuId } = await pendingOrder();
    gateway.queryTransaction.mockResolvedValue(paidAt(order, 'USERPAYING'));
    gateway.closeTransaction.mockRejectedValue(new Error('SYSTEM_ERROR'));
    await expect(payments.expireIfUnpaid(order.id)).rejects.toThrow('SYSTEM_ERROR');
    expect(await statusOf(order.id)).toBe('PENDING_PAYMENT');
    expect(await stockOf(skuId)).toBe(3);
  });

  it('lists for the sweeper only pending orders past their deadline by more than the grace', async () => {
    const overdue = await pendingOrder();
    const fresh = await pendingOrder(false);
    const now = new Date();
    expect(await payments.overdueOrderIds(now, 0, 1000)).toEqual(expect.arrayContaining([overdue.order.id]));
    expect(await payments.overdueOrderIds(now, 0, 1000)).not.toContain(fresh.order.id);
    expect(await payments.overdueOrderIds(now, 60_000, 1000)).not.toContain(overdue.order.id);
  });

  it('does nothing before the deadline', async () => {
    const { order } = await pendingOrder(false);
    await expect(payments.expireIfUnpaid(order.id)).resolves.toBe('unchanged');
    expect(gateway.queryTransaction).not.toHaveBeenCalled();
  });
});

describe('OrderPaymentsService: payments reported by WeChat Pay', () => {
  it('applies a payment once: a repeat changes nothing and publishes nothing', async () => {
    const { order } = await pendingOrder(false);
    await payments.applyPayment(paidAt(order, 'SUCCESS'), 'wechatpay');
    await payments.applyPayment(paidAt(order, 'SUCCESS'), 'wechatpay');
    expect(await statusOf(order.id)).toBe('PAID');
    const paidEvents = await db.dataSource.getRepository(OrderEvent).countBy({ orderId: order.id, toStatus: 'PAID' });
    expect(paidEvents).toBe(1);
    const outbox = await db.dataSource.getRepository(OutboxEvent).findBy({ name: 'order.paid' });
    expect(outbox.filter((row) => JSON.parse(row.payload).orderId === order.id)).toHaveLength(1);
  });

  it('refuses a payment whose amount, merchant or app does not match the order', async () => {
    const { order } = await pendingOrder(false);
    for (const forged of [{ amountTotal: 1 }, { mchId: '1999999999' }, { appId: 'wx-other' }]) {
      expect(await appErrorCodeOf(payments.applyPayment(paidAt(order, 'SUCCESS', forged), 'wechatpay'))).toBe(4203);
    }
    expect(await statusOf(order.id)).toBe('PENDING_PAYMENT');
  });

  it('records money for a cancelled order once, for a refund, instead of dropping it', async () => {
    const { order } = await pendingOrder();
    gateway.queryTransaction.mockResolvedValue(null);
    await payments.expireIfUnpaid(order.id);
    await payments.applyPayment(paidAt(order, 'SUCCESS'), 'wechatpay');
    await payments.applyPayment(paidAt(order, 'SUCCESS'), 'wechatpay');
    expect(await statusOf(order.id)).toBe('CANCELLED');
    const orphaned = await db.dataSource.getRepository(OutboxEvent).findBy({ name: 'order.payment-orphaned' });
    expect(orphaned.filter((row) => JSON.parse(row.payload).orderId === order.id)).toHaveLength(1);
  });

  it('prepays once per order: asking again reuses the stored prepay_id', async () => {
    const { order } = await pendingOrder(false);
    const first = await payments.pay(userId, order.id);
    const second = await payments.pay(userId, order.id);
    expect(first.package).toBe('prepay_id=wx-prepay-1');
    expect(second).toEqual(first);
    expect(gateway.prepayJsapi).toHaveBeenCalledTimes(1);
    expect(gateway.prepayJsapi).toHaveBeenCalledWith(
      expect.objectContaining({ outTradeNo: order.orderNo, amountFen: 2400, payerOpenId: 'o-unit-buyer', notifyUrl: 'https://shop.example/api/v1/payments/wechat/notify', timeExpire: order.payDeadline }),
    );
    expect(await appErrorCodeOf(payments.pay(userId + 1000, order.id))).toBe(4002);
  });
});
