import { canTransition, ORDER_STATUSES, type OrderStatus, sourcesOf } from './order-state-machine';
import { newOrderNumber, ORDER_NO } from './order-number';

/** The diagram, plus the two refund edges docs/orders.md explains. */
const ALLOWED: Array<[OrderStatus, OrderStatus]> = [
  ['PENDING_PAYMENT', 'PAID'],
  ['PENDING_PAYMENT', 'CANCELLED'],
  ['PAID', 'SHIPPED'],
  ['SHIPPED', 'COMPLETED'],
  ['PAID', 'REFUNDING'],
  ['REFUNDING', 'REFUNDED'],
  ['REFUNDING', 'PARTIALLY_REFUNDED'],
  ['REFUNDING', 'PAID'],
  ['PARTIALLY_REFUNDED', 'REFUNDING'],
];

describe('order state machine', () => {
  it('allows exactly the listed transitions and refuses every other pair', () => {
    const allowed = new Set(ALLOWED.map(([from, to]) => `${from}>${to}`));
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) expect([`${from}>${to}`, canTransition(from, to)]).toEqual([`${from}>${to}`, allowed.has(`${from}>${to}`)]);
    }
  });

  it('has terminal states with no way out, cancelled and paid orders included as the rules say', () => {
    for (const terminal of ['COMPLETED', 'CANCELLED', 'REFUNDED'] as const) expect(ORDER_STATUSES.filter((to) => canTransition(terminal, to))).toEqual([]);
    expect(canTransition('CANCELLED', 'PAID')).toBe(false);
    expect(canTransition('PENDING_PAYMENT', 'SHIPPED')).toBe(false);
    expect(sourcesOf('CANCELLED')).toEqual(['PENDING_PAYMENT']);
  });
});

describe('order numbers', () => {
  it('are valid out_trade_no values, time-ordered and distinct', () => {
    const numbers = Array.from({ length: 1000 }, (_, i) => newOrderNumber(new Date(Date.UTC(2026, 11, 6, 8, 0, 0, i))));
    for (const number of numbers) expect(number).toMatch(ORDER_NO);
    expect(numbers[0]).toMatch(/^20261206080000000\d{6}$/);
    expect(numbers.map((n) => n.slice(0, 17))).toEqual([...numbers.map((n) => n.slice(0, 17))].sort());
    expect(new Set(numbers).size).toBe(1000);
  });
});
