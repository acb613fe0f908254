import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { toStoredPayload, validatePayload } from '@app/jobs';
import { OutboxEvent } from './entities/outbox-event.entity';
import type { EventType } from './event-type';
import { markOutboxWrite } from './outbox-commit-watcher';
import { uuidV7 } from './uuid-v7';

/**
 * Publishes domain events through the transactional outbox:
 *
 *   await this.transactions.run(async (manager) => {
 *     await manager.update(Order, { id, status: 'pending' }, { status: 'paid' });
 *     await this.events.publish(OrderPaid, { orderId: id }, manager);
 *   });
 *
 * The event is a row written by the caller's transaction: it exists if and only if the change
 * committed. The relay delivers it to every consumer afterwards, at least once.
 */
@Injectable()
export class DomainEvents {
  /** Returns the event's id. Throws when the payload does not match its class (a bug in the caller). */
  async publish<P extends object>(type: EventType<P>, payload: P, manager: EntityManager): Promise<string> {
    const queryRunner = manager.queryRunner;
    if (!queryRunner?.isTransactionActive) {
      throw new Error(`events.publish(${type.name}) needs the EntityManager of an open transaction (TransactionRunner.run)`);
    }
    const stored = toStoredPayload(payload);
    validatePayload(type.payload, stored, `event ${type.name}`);
    const eventId = uuidV7();
    await manager.insert(OutboxEvent, { id: eventId, name: type.name, payload: JSON.stringify(stored), createdAt: new Date(), sentAt: null });
    markOutboxWrite(queryRunner);
    return eventId;
  }
}
