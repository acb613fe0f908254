import { ConfigService } from '@nestjs/config';
import { IsInt, IsString, Min } from 'class-validator';
import type { EntityManager } from 'typeorm';
import { loadAppConfig } from '@app/config';
import { TransactionRunner } from '@app/database';
import { DeadLetters } from '@app/jobs/dead-letters';
import { InProcessJobBackend } from '@app/jobs/in-process-job-backend';
import { JobRegistry } from '@app/jobs/job-registry';
import { JobWorkers } from '@app/jobs/job-workers';
import { loadJobsConfig } from '@app/jobs/jobs.config';
import { Jobs } from '@app/jobs/jobs.service';
import { PermanentJobError } from '@app/jobs/job-errors';
import { useTestDataSource } from '@app/testing';
import { DomainEvents } from './domain-events';
import { HandledEvent } from './entities/handled-event.entity';
import { OutboxEvent } from './entities/outbox-event.entity';
import { EventConsumers } from './event-consumers';
import { defineEvent } from './event-type';
import { loadEventsConfig } from './events.config';
import { outboxMetrics } from './events.metrics';
import { OutboxCommitWatcher } from './outbox-commit-watcher';
import { OutboxRelay } from './outbox-relay';
import type { EventContext } from './on-event.decorator';

class OrderPaidPayload {
  @IsInt()
  @Min(1)
  orderId!: number;

  @IsString()
  note!: string;
}

const OrderPaid = defineEvent('spec.order-paid', OrderPaidPayload);
const OrderShipped = defineEvent('spec.order-shipped', OrderPaidPayload);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** The embedded profile's outbox: SQLite, the in-process queue, the relay; wired as the modules wire them. */
describe('domain events through the outbox (embedded profile: SQLite + in-process queue)', () => {
  const db = useTestDataSource({ entities: [OutboxEvent, HandledEvent], migrations: [] });
  let transactions: TransactionRunner;
  let backend: InProcessJobBackend;
  let relay: OutboxRelay;
  let events: DomainEvents;
  let workers: JobWorkers;
  let deadLetters: DeadLetters;
  let failuresLeft: Map<number, number>;
  /** Whether the dedupe-'none' consumer ran inside a transaction, by order id. */
  const inTransaction = new Map<number, boolean>();
  /** Deliveries that reached the consumer's idempotency check, handled or not. */
  const deliveries = new Map<number, number>();

  /** What consumers did, written through their transaction: the effects whose count must be exact. */
  const effects = async (consumer: string): Promise<number[]> =>
    (await db.dataSource.query('SELECT order_id AS orderId FROM spec_effects WHERE consumer = ? ORDER BY order_id', [consumer])).map(
      (row: { orderId: number }) => Number(row.orderId),
    );
  const record = (manager: EntityManager, consumer: string, orderId: number) =>
    manager.query('INSERT INTO spec_effects (consumer, order_id) VALUES (?, ?)', [consumer, orderId]);

  beforeAll(async () => {
    // the app's migration creates these (libs never import apps); the same shape, as SQLite spells it
    await db.dataSource.query(
      'CREATE TABLE outbox_events (id VARCHAR(36) NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL, payload TEXT NOT NULL, ' +
        'created_at DATETIME(3) NOT NULL, sent_at DATETIME(3) NULL)',
    );
    await db.dataSource.query(
      'CREATE TABLE handled_events (event_id VARCHAR(36) NOT NULL, consumer VARCHAR(100) NOT NULL, handled_at DATETIME(3) NOT NULL, PRIMARY KEY (event_id, consumer))',
    );
    await db.dataSource.query('CREATE TABLE spec_effects (id INTEGER PRIMARY KEY, consumer TEXT NOT NULL, order_id INTEGER NOT NULL)');
    await db.dataSource.query('CREATE TABLE spec_orders (id INTEGER PRIMARY KEY, status TEXT NOT NULL)');
    const env = { OUTBOX_POLL_INTERVAL_MS: '20', EVENTS_RETENTION_HOURS: '1' };
    const config = new ConfigService({ app: loadAppConfig({}), jobs: loadJobsConfig({}), events: loadEventsConfig(env) });
    transactions = new TransactionRunner(db.dataSource);
    backend = new InProcessJobBackend();
    const registry = new JobRegistry();
    const jobs = new Jobs(backend, config);
    const consumers = new EventConsumers(null as never, null as never, registry, transactions, db.dataSource);
    // counts every delivery job of spec.receipt that runs, before the handled-event check
    const original = registry.register.bind(registry);
    registry.register = (type, handler, owner) =>
      original(type, async (delivery, job) => {
        const orderId = Number((delivery as { event: { orderId: number } }).event.orderId);
        if (type.name === 'event.spec.receipt') deliveries.set(orderId, (deliveries.get(orderId) ?? 0) + 1);
        await handler(delivery, job);
      }, owner);
    failuresLeft = new Map();
    consumers.register({ event: OrderPaid, name: 'spec.receipt', options: { backoffMs: 10 } }, async (event: object, context: EventContext) => {
      const { orderId } = event as OrderPaidPayload;
      await record(context.manager, 'spec.receipt', orderId);
      const left = failuresLeft.get(orderId) ?? 0;
      if (left > 0) {
        failuresLeft.set(orderId, left - 1);
        throw new Error('mail server down');
      }
    }, 'spec');
    consumers.register({ event: OrderPaid, name: 'spec.loyalty', options: {} }, async (event: object, context: EventContext) => {
      const { orderId } = event as OrderPaidPayload;
      if ((event as OrderPaidPayload).note === 'refused') throw new PermanentJobError('user refused');
      await record(context.manager, 'spec.loyalty', orderId);
    }, 'spec');
    // idempotent by itself (dedupe 'none'): delivered with the plain manager, no "handled" record
    consumers.register({ event: OrderShipped, name: 'spec.tracking', options: { dedupe: 'none' } }, async (event: object, context: EventContext) => {
      inTransaction.set((event as OrderPaidPayload).orderId, context.manager.queryRunner?.isTransactionActive === true);
      await record(context.manager, 'spec.tracking', (event as OrderPaidPayload).orderId);
    }, 'spec');
    relay = new OutboxRelay(db.dataSource, transactions, consumers, jobs, config, outboxMetrics());
    new OutboxCommitWatcher(db.dataSource, relay, config).onModuleInit();
    events = new DomainEvents();
    workers = new JobWorkers(backend, { observe: () => undefined }, registry, config);
    deadLetters = new DeadLetters(backend, registry);
    await workers.onApplicationBootstrap();
    relay.onApplicationBootstrap();
  });

  afterAll(async () => {
    await relay.onModuleDestroy();
    await workers.onModuleDestroy();
    await backend.close();
  });

  const payOrder = (orderId: number, note = 'ok') =>
    transactions.run(async (manager) => {
      await manager.query('INSERT INTO spec_orders (id, status) VALUES (?, ?)', [orderId, 'paid']);
      return events.publish(OrderPaid, { orderId, note }, manager);
    });

  it('delivers a committed event to every consumer, once, and marks the row sent', async () => {
    const eventId = await payOrder(1);
    await until(async () => (await effects('spec.receipt')).includes(1) && (await effects('spec.loyalty')).includes(1));
    const [row] = await db.dataSource.query('SELECT sent_at AS sentAt FROM outbox_events WHERE id = ?', [eventId]);
    expect(row.sentAt).not.toBeNull();
    expect(await db.dataSource.query('SELECT consumer FROM handled_events WHERE event_id = ? ORDER BY consumer', [eventId])).toEqual([
      { consumer: 'spec.loyalty' },
      { consumer: 'spec.receipt' },
    ]);
  });

  it("delivers to a consumer idempotent by itself (dedupe 'none') outside any transaction, with no handled record", async () => {
    const eventId = await transactions.run((manager) => events.publish(OrderShipped, { orderId: 91, note: 'ok' }, manager));
    await until(async () => (await effects('spec.tracking')).includes(91));
    expect(inTransaction.get(91)).toBe(false);
    expect(await db.dataSource.query('SELECT COUNT(*) AS n FROM handled_events WHERE event_id = ?', [eventId])).toEqual([{ n: 0 }]);
  });

  it('publishes nothing for a rolled-back transaction', async () => {
    await expect(
      transactions.run(async (manager) => {
        await events.publish(OrderPaid, { orderId: 2, note: 'ok' }, manager);
        throw new Error('payment declined');
      }),
    ).rejects.toThrow('payment declined');
    await sleep(100);
    expect(await effects('spec.receipt')).not.toContain(2);
    expect(await db.dataSource.query("SELECT COUNT(*) AS n FROM outbox_events WHERE payload LIKE '%\"orderId\":2%'")).toEqual([{ n: 0 }]);
  });

  it('refuses a publish outside a transaction and a payload that does not match its class', async () => {
    await expect(events.publish(OrderPaid, { orderId: 3, note: 'ok' }, db.dataSource.manager)).rejects.toThrow(/open transaction/);
    await expect(transactions.run((manager) => events.publish(OrderPaid, { orderId: 0, note: 'ok' }, manager))).rejects.toThrow(
      /orderId must not be less than 1/,
    );
  });

  it('has no second effect when a row is published again (the relay crashed before marking it sent)', async () => {
    const eventId = await payOrder(4);
    await until(async () => (await effects('spec.receipt')).includes(4));
    // as after a crash between publish and commit: the row is unsent again, and the in-process queue forgot the job
    await db.dataSource.query('UPDATE outbox_events SET sent_at = NULL WHERE id = ?', [eventId]);
    (backend as unknown as { queues: Map<string, { jobs: Map<string, unknown> }> }).queues.get('event.spec.receipt')?.jobs.delete(eventId);
    relay.wake();
    await until(async () => (await db.dataSource.query('SELECT sent_at AS sentAt FROM outbox_events WHERE id = ?', [eventId]))[0].sentAt !== null);
    await until(async () => deliveries.get(4) === 2);
    await sleep(50);
    expect((await effects('spec.receipt')).filter((id) => id === 4)).toHaveLength(1);
  });

  it('retries a failing consumer without repeating its effects or the other consumer\'s', async () => {
    failuresLeft.set(5, 2);
    await payOrder(5);
    await until(async () => failuresLeft.get(5) === 0 && (await effects('spec.receipt')).includes(5));
    await sleep(50);
    expect((await effects('spec.receipt')).filter((id) => id === 5)).toHaveLength(1);
    expect((await effects('spec.loyalty')).filter((id) => id === 5)).toHaveLength(1);
  });

  it('dead-letters a consumer\'s permanent failure; the other consumer still gets the event', async () => {
    const eventId = await payOrder(6, 'refused');
    await until(async () => (await deadLetters.list({ type: 'event.spec.loyalty', page: 1, pageSize: 10 })).total === 1);
    const [dead] = (await deadLetters.list({ page: 1, pageSize: 10 })).items;
    expect(dead).toMatchObject({ id: `event.spec.loyalty:${eventId}`, reason: 'user refused', payload: expect.objectContaining({ eventId, event: { orderId: 6, note: 'refused' } }) });
    await until(async () => (await effects('spec.receipt')).includes(6));
  });

  it('deletes sent rows and handled records past the retention', async () => {
    const eventId = await payOrder(7);
    await until(async () => (await effects('spec.loyalty')).includes(7));
    expect(await relay.prune(new Date(Date.now() + 30 * 60_000))).toBe(0);
    const deleted = await relay.prune(new Date(Date.now() + 2 * 3_600_000));
    expect(deleted).toBeGreaterThanOrEqual(3);
    expect(await db.dataSource.query('SELECT COUNT(*) AS n FROM outbox_events WHERE id = ?', [eventId])).toEqual([{ n: 0 }]);
    expect(await db.dataSource.query('SELECT COUNT(*) AS n FROM handled_events WHERE event_id = ?', [eventId])).toEqual([{ n: 0 }]);
  });
});
