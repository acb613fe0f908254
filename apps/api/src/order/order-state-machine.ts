/**
 * The order state machine, in one place. Every status change goes through
 * OrderTransitions.apply(), which checks it here and then compare-and-sets it in the database.
 *
 *   PENDING_PAYMENT ─► PAID ─► SHIPPED ─► COMPLETED
 *          │            │
 *          ▼            ▼
 *      CANCELLED     REFUNDING ─► REFUNDED | PARTIALLY_REFUNDED
 *
 * Two additions to the diagram, both for refunds that WeChat Pay does not complete:
 * REFUNDING ─► PAID (the only refund in flight was closed or failed: nothing was refunded) and
 * PARTIALLY_REFUNDED ─► REFUNDING (a further partial refund, up to what was paid).
 */
export const ORDER_STATUSES = [
  'PENDING_PAYMENT',
  'PAID',
  'SHIPPED',
  'COMPLETED',
  'CANCELLED',
  'REFUNDING',
  'REFUNDED',
  'PARTIALLY_REFUNDED',
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING_PAYMENT: ['PAID', 'CANCELLED'],
  PAID: ['SHIPPED', 'REFUNDING'],
  SHIPPED: ['COMPLETED'],
  COMPLETED: [],
  CANCELLED: [],
  REFUNDING: ['REFUNDED', 'PARTIALLY_REFUNDED', 'PAID'],
  REFUNDED: [],
  PARTIALLY_REFUNDED: ['REFUNDING'],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses an order may be in for a transition to `to` (what the compare-and-set accepts). */
export function sourcesOf(to: OrderStatus): OrderStatus[] {
  return ORDER_STATUSES.filter((from) => canTransition(from, to));
}

export function isOrderStatus(value: string): value is OrderStatus {
  return (ORDER_STATUSES as readonly string[]).includes(value);
}
