import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, Repository } from 'typeorm';
import { isUniqueViolation, TransactionRunner } from '@app/database';
import { DomainEvents } from '@app/events';
import { AppError } from '@app/http';
import { ExhaustedKeys, KeyedLimiter } from '@app/resilience';
import { ProductsService } from '../catalogue';
import { OrderEvent } from './entities/order-event.entity';
import { OrderItem } from './entities/order-item.entity';
import { Order } from './entities/order.entity';
import { OrderCreated } from './events/order.events';
import type { OrderConfig } from './order.config';
import { OrderError } from './order.errors';
import { newOrderNumber } from './order-number';
import type { OrderStatus } from './order-state-machine';
import { OrderTransitions } from './order-transitions';
import { OrderViewCache } from './order-view-cache';

export interface OrderLine {
  skuId: number;
  quantity: number;
}

export interface OrderItemView {
  productId: number;
  skuId: number;
  productName: string;
  skuName: string;
  unitPriceFen: number;
  quantity: number;
}

export interface OrderView {
  id: number;
  orderNo: string;
  userId: number;
  status: OrderStatus;
  totalFen: number;
  paidFen: number;
  refundedFen: number;
  remark: string;
  payDeadline: string;
  paidAt: string | null;
  trackingNo: string | null;
  createdAt: string;
  items: OrderItemView[];
}

export interface OrderListPage {
  items: OrderView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

// order totals are int columns: 2^31 - 1 fen is ~21 million yuan
const MAX_TOTAL_FEN = 2_147_483_647;
/**
 * Orders for one SKU placed at once by this process. Buyers of one SKU queue on its row lock in
 * the database anyway; queueing them here instead keeps them from holding pool connections (a
 * flash sale's 2,000 buyers would starve every other query into 503s), and lets each look at the
 * sold-out mark again when its turn comes. docs/orders.md, "Stock".
 */
const ORDERS_IN_FLIGHT_PER_SKU = 4;
/** How long "sold out" is believed without asking the database (restocks elsewhere show after this). */
const SOLD_OUT_MEMO_MS = 1_000;

/**
 * Orders as their buyer sees them: placing one (prices from the catalogue, stock reserved by
 * conditional UPDATEs, order + items + its first order_events row + the outbox event in one
 * transaction), reading their own, confirming receipt. Cancelling and paying involve WeChat Pay
 * and live in OrderPaymentsService.
 */
@Injectable()
export class OrdersService {
  private readonly logger = new Logger(OrdersService.name);
  private readonly config: OrderConfig;
  private readonly skuLanes = new KeyedLimiter<number>(ORDERS_IN_FLIGHT_PER_SKU);
  private readonly soldOut = new ExhaustedKeys<number>(SOLD_OUT_MEMO_MS);

  constructor(
    @InjectRepository(Order) private readonly orders: Repository<Order>,
    @InjectRepository(OrderItem) private readonly items: Repository<OrderItem>,
    private readonly products: ProductsService,
    private readonly transactions: TransactionRunner,
    private readonly transitions: OrderTransitions,
    private readonly events: DomainEvents,
    private readonly views: OrderViewCache,
    @Inject(ConfigService) configService: ConfigService,
  ) {
    this.config = configService.getOrThrow<OrderConfig>('order');
  }

  async create(userId: number, lines: readonly OrderLine[], remark = ''): Promise<OrderView> {
    // the same SKU twice is one line; locking in id order keeps two multi-SKU orders from deadlocking
    const quantities = new Map<number, number>();
    for (const line of lines) quantities.set(line.skuId, (quantities.get(line.skuId) ?? 0) + line.quantity);
    const skuIds = [...quantities.keys()].sort((a, b) => a - b);
    const { order, items } = await this.skuLanes.run(skuIds, () => this.place(userId, skuIds, quantities, remark));
    // after the line: the cache work of one order does not hold back the next buyer of the SKU
    const productIds = new Set(items.map((item) => item.productId));
    await Promise.all([...[...productIds].map((productId) => this.products.invalidate(productId)), this.views.dropCommitted(order.id)]);
    return toView(order, items);
  }

  private async place(userId: number, skuIds: number[], quantities: Map<number, number>, remark: string): Promise<{ order: Order; items: OrderItemView[] }> {
    this.refuseIfSoldOut(skuIds);
    const items = await this.priceLines(skuIds, quantities);
    const totalFen = items.reduce((sum, item) => sum + item.unitPriceFen * item.quantity, 0);
    if (!Number.isSafeInteger(totalFen) || totalFen > MAX_TOTAL_FEN) throw new AppError(OrderError.TotalTooLarge);
    return { order: await this.insertWithNewNumber(userId, items, totalFen, remark), items };
  }

  private refuseIfSoldOut(skuIds: readonly number[]): void {
    if (skuIds.some((skuId) => this.soldOut.has(skuId))) throw new AppError(OrderError.OutOfStock);
  }

  /** Prices and names from the catalogue; a stock snapshot too short for a line is 409 without a transaction. */
  private async priceLines(skuIds: number[], quantities: Map<number, number>): Promise<OrderItemView[]> {
    const priced = await this.products.priceSkus(skuIds);
    return skuIds.map((skuId) => {
      const sku = priced.get(skuId);
      if (!sku?.onShelf) throw new AppError(OrderError.SkuUnavailable);
      // sold out a moment ago: answer 409 without a transaction (in a flash sale, most buyers);
      // the conditional UPDATE below stays the only thing that decides a sale
      if (sku.stock < (quantities.get(skuId) ?? 0)) throw this.outOfStock(skuId, sku.stock);
      return {
        productId: sku.productId,
        skuId,
        productName: sku.productName,
        skuName: sku.skuName,
        unitPriceFen: sku.priceFen,
        quantity: quantities.get(skuId) ?? 0,
      };
    });
  }

  private async insertWithNewNumber(userId: number, items: OrderItemView[], totalFen: number, remark: string): Promise<Order> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.transactions.run((manager) => this.insertOrder(manager, userId, items, totalFen, remark));
      } catch (error) {
        // two orders numbered in the same millisecond with the same 6 random digits: number it again
        if (attempt >= 2 || !isUniqueViolation(error)) throw error;
        this.logger.warn('order number collision; retrying with a new number');
      }
    }
  }

  /**
   * The rows first, the stock last: the conditional UPDATE takes the SKU's row lock, which every
   * other buyer of the SKU then waits for until this commit, so it is the last statement before
   * the commit (held for one round trip, not five). Not enough stock: the whole transaction rolls
   * back, the order rows with it.
   */
  private async insertOrder(manager: EntityManager, userId: number, items: OrderItemView[], totalFen: number, remark: string): Promise<Order> {
    const createdAt = new Date();
    const order = manager.create(Order, {
      orderNo: newOrderNumber(createdAt),
      userId,
      status: 'PENDING_PAYMENT',
      version: 0,
      totalFen,
      paidFen: 0,
      refundedFen: 0,
      remark,
      payDeadline: new Date(createdAt.getTime() + this.config.payTimeoutS * 1000),
      prepayId: null,
      transactionId: null,
      paidAt: null,
      trackingNo: null,
      createdAt,
    });
    const inserted = await manager.insert(Order, order);
    order.id = Number(inserted.identifiers[0].id);
    await manager.insert(
      OrderItem,
      items.map((item) => ({ ...item, orderId: order.id })),
    );
    await manager.insert(OrderEvent, { orderId: order.id, fromStatus: null, toStatus: 'PENDING_PAYMENT', actor: `user:${userId}`, note: '' });
    await this.events.publish(
      OrderCreated,
      { orderId: order.id, userId, totalFen, payDeadline: order.payDeadline.toISOString() },
      manager,
    );
    for (const item of items) {
      if (!(await this.products.reserveStock(manager, item.skuId, item.quantity))) throw this.outOfStock(item.skuId, item.quantity === 1 ? 0 : null);
    }
    return order;
  }

  /** The 409, remembering a SKU seen empty (stock 0) so the next buyers are answered without the database. */
  private outOfStock(skuId: number, stockSeen: number | null): AppError {
    if (stockSeen !== null && stockSeen <= 0) this.soldOut.mark(skuId);
    return new AppError(OrderError.OutOfStock);
  }

  /** The caller's orders, newest first, `limit` at a time (keyset cursor: stable while new orders arrive). */
  async listOwn(userId: number, query: { cursor?: string; limit: number; status?: OrderStatus }): Promise<OrderListPage> {
    const builder = this.orders
      .createQueryBuilder('o')
      .where('o.userId = :userId', { userId })
      .orderBy('o.createdAt', 'DESC')
      .addOrderBy('o.id', 'DESC')
      .take(query.limit + 1);
    if (query.status) builder.andWhere('o.status = :status', { status: query.status });
    if (query.cursor) {
      const { createdAt, id } = decodeCursor(query.cursor);
      builder.andWhere('o.createdAt <= :createdAt AND (o.createdAt < :createdAt OR o.id < :id)', { createdAt, id });
    }
    const rows = await builder.getMany();
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: await this.withItems(page),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
    };
  }

  /** One of the caller's orders, from the view cache; another user's is NotFound (404), never its data. */
  async getOwn(userId: number, orderId: number): Promise<OrderView> {
    const view = await this.views.get(orderId, () => this.loadView(orderId));
    if (!view || view.userId !== userId) throw new AppError(OrderError.NotFound);
    return view;
  }

  /** One round trip: the order by primary key with its lines (idx_order_items_order). */
  private async loadView(orderId: number): Promise<OrderView | null> {
    const order = (await this.orders
      .createQueryBuilder('o')
      .leftJoinAndMapMany('o.items', OrderItem, 'item', 'item.orderId = o.id')
      .where('o.id = :orderId', { orderId })
      .orderBy('item.id', 'ASC')
      .getOne()) as (Order & { items: OrderItem[] }) | null;
    return order ? toView(order, order.items) : null;
  }

  async get(orderId: number): Promise<OrderView> {
    const order = await this.orders.findOne({ where: { id: orderId } });
    if (!order) throw new AppError(OrderError.NotFound);
    return (await this.withItems([order]))[0];
  }

  /** The buyer confirms receipt: SHIPPED → COMPLETED. */
  async confirmReceipt(userId: number, orderId: number): Promise<OrderView> {
    await this.transactions.run(async (manager) => {
      const order = await manager.findOne(Order, { where: { id: orderId, userId } });
      if (!order) throw new AppError(OrderError.NotFound);
      await this.transitions.applyOrConflict(manager, order, 'COMPLETED', { actor: `user:${userId}` });
    });
    return this.getOwn(userId, orderId);
  }

  /**
   * CANCELLED and its stock back, inside the caller's transaction. The compare-and-set makes the
   * release happen exactly once: only the transition that wins gives stock back. False when it lost.
   */
  async cancelWithin(manager: EntityManager, order: Order, actor: string, note = ''): Promise<boolean> {
    if (!(await this.transitions.apply(manager, order, 'CANCELLED', { actor, note }))) return false;
    const lines = await manager.find(OrderItem, { where: { orderId: order.id }, order: { skuId: 'ASC' } });
    for (const line of lines) await this.products.releaseStock(manager, line.skuId, line.quantity);
    return true;
  }

  /** After a committed cancel: the product details show the stock that came back. */
  async afterStockReleased(orderId: number): Promise<void> {
    const lines = await this.items.find({ where: { orderId } });
    for (const line of lines) this.soldOut.forget(line.skuId);
    await Promise.all([...new Set(lines.map((line) => line.productId))].map((productId) => this.products.invalidate(productId)));
  }

  async withItems(orders: readonly Order[]): Promise<OrderView[]> {
    if (orders.length === 0) return [];
    const lines = await this.items.find({ where: { orderId: In(orders.map((order) => order.id)) }, order: { id: 'ASC' } });
    return orders.map((order) => toView(order, lines.filter((line) => line.orderId === order.id)));
  }
}

function encodeCursor(order: Order): string {
  return Buffer.from(`${new Date(order.createdAt).getTime()}.${order.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: number } {
  const match = /^(\d{1,15})\.(\d{1,10})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new AppError(OrderError.InvalidCursor);
  return { createdAt: new Date(Number(match[1])), id: Number(match[2]) };
}

export function toView(order: Order, items: readonly OrderItemView[]): OrderView {
  const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());
  return {
    id: order.id,
    orderNo: order.orderNo,
    userId: order.userId,
    status: order.status,
    totalFen: order.totalFen,
    paidFen: order.paidFen,
    refundedFen: order.refundedFen,
    remark: order.remark,
    payDeadline: new Date(order.payDeadline).toISOString(),
    paidAt: iso(order.paidAt),
    trackingNo: order.trackingNo,
    createdAt: new Date(order.createdAt).toISOString(),
    items: items.map((item) => ({
      productId: item.productId,
      skuId: item.skuId,
      productName: item.productName,
      skuName: item.skuName,
      unitPriceFen: item.unitPriceFen,
      quantity: item.quantity,
    })),
  };
}
