import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TwoLevelCache } from '@app/cache';
import { afterCommit } from '@app/database';
import type { OrderView } from './orders.service';

/**
 * How long a view stays in Redis without a change. Every change drops it at once (below); the TTL
 * only bounds a drop that was lost while Redis was unreachable.
 */
const VIEW_TTL_MS = 60_000;

export function orderViewKey(orderId: number): string {
  return `order:view:${orderId}`;
}

/**
 * Orders as their buyer reads them (`GET /orders/:id`, polled after paying), from the two-level
 * cache; the `order:view:` keys belong to this class. A view is dropped after the commit of every
 * change to the columns it shows, and those all go through OrderTransitions (status with paid,
 * refunded, paid-at and tracking number); prepay ids and transaction ids are not in the view.
 * The drop runs after the commit, before the request that committed answers (afterCommit): dropped
 * earlier, a reader in between could store the old row again. A new order's id is dropped after
 * its commit, so an id read before it existed (a cached "missing") never hides it.
 */
@Injectable()
export class OrderViewCache {
  constructor(private readonly cache: TwoLevelCache) {}

  get(orderId: number, load: () => Promise<OrderView | null>): Promise<OrderView | null> {
    return this.cache.getOrLoad<OrderView>(orderViewKey(orderId), load, VIEW_TTL_MS);
  }

  /**
   * After a new order's commit: drops whatever its id held (a "missing" cached by someone who
   * asked for the id before it existed). Not a write of the new view: a change committed in
   * between would be overwritten by the older view.
   */
  dropCommitted(orderId: number): Promise<void> {
    return this.cache.invalidate(orderViewKey(orderId));
  }

  /** Inside the transaction that changes the order: its view goes once the change is committed. */
  dropAfterCommit(manager: EntityManager, orderId: number): void {
    afterCommit(manager, () => this.cache.invalidate(orderViewKey(orderId)));
  }
}
