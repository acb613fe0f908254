import { randomBytes } from 'node:crypto';
import { TcpProxy } from '@app/testing';
import { request, type RunningApp } from './support/app-harness';
import { spawnApp } from './support/child-app';
import { type EnvOverrides, productionEnv, testServices } from './support/environment';
import { api, isolatedRedisEnv, metric, until } from './support/jobs-support';
import { useTestDatabase } from './support/test-database';

/**
 * Domain events through the transactional outbox on MariaDB + Redis: crash drills (kill -9 between
 * commit and publish, and between publish and marking sent) and two relays at once. The
 * diagnostics consumer writes one row per event it handles, with no unique key: a second
 * delivery that had an effect would show as a second row.
 */
describe('domain events (outbox on MariaDB, relay, idempotent consumers)', () => {
  const db = useTestDatabase();
  // a delivery its killed worker had taken is retried after this lock expires (30 s by default)
  const redisEnv: EnvOverrides = { ...isolatedRedisEnv('events'), JOBS_LOCK_MS: '2000' };

  const effectsOf = async (orderRef: string) =>
    db.query<{ eventId: string }>('SELECT event_id AS eventId FROM diagnostics_event_effects WHERE order_ref = ?', [orderRef]);
  const outboxRow = async (eventId: string) =>
    (await db.query<{ sentAt: Date | null }>('SELECT sent_at AS sentAt FROM outbox_events WHERE id = ?', [eventId]))[0];
  const eventIdOf = async (orderRef: string) =>
    (await db.query<{ id: string }>('SELECT id FROM outbox_events WHERE payload = ?', [JSON.stringify({ orderRef })]))[0]?.id;
  const placeOrder = (app: { baseUrl: string }, orderRef: string) =>
    fetch(`${app.baseUrl}/api/v1/diagnostics/events/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderRef }),
    }).then(
      (response) => response.status,
      () => 'connection lost' as const,
    );

  it('crash drill: killed right after the commit, before any relay saw the event; delivered exactly once after restart', async () => {
    // a long poll: only the wake-up after the commit could publish, and the hook kills the process first
    const doomed = await spawnApp(productionEnv(db.name, { ...redisEnv, TEST_OUTBOX_CRASH_AFTER_COMMIT: 'true', OUTBOX_POLL_INTERVAL_MS: '60000' }));
    expect(await placeOrder(doomed, 'crash-commit')).toBe('connection lost');
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });

    expect(await db.query('SELECT order_ref FROM diagnostics_orders WHERE order_ref = ?', ['crash-commit'])).toHaveLength(1);
    const eventId = await eventIdOf('crash-commit');
    expect(eventId).toBeDefined();
    expect((await outboxRow(eventId)).sentAt).toBeNull();
    expect(await effectsOf('crash-commit')).toEqual([]);

    const restarted = await db.startApp(redisEnv);
    await until('the event to be handled', async () => (await effectsOf('crash-commit')).length > 0);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await effectsOf('crash-commit')).toEqual([{ eventId }]);
    expect((await outboxRow(eventId)).sentAt).not.toBeNull();
    expect(await db.query('SELECT consumer FROM handled_events WHERE event_id = ?', [eventId])).toEqual([{ consumer: 'diagnostics.order-recorder' }]);
    await restarted.close();
  });

  it('crash drill: killed after publishing, before marking the row sent; published again after restart, still one effect', async () => {
    const doomed = await spawnApp(productionEnv(db.name, { ...redisEnv, TEST_OUTBOX_CRASH_AFTER_PUBLISH: 'true' }));
    await placeOrder(doomed, 'crash-publish');
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const eventId = await eventIdOf('crash-publish');
    expect((await outboxRow(eventId)).sentAt).toBeNull();

    const restarted = await db.startApp(redisEnv);
    await until('the row to be sent', async () => (await outboxRow(eventId)).sentAt !== null);
    // this relay published it a second time
    expect(await metric(restarted, 'outbox_events_published_total')).toBe(1);
    await until('the event to be handled', async () => (await effectsOf('crash-publish')).length > 0);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await effectsOf('crash-publish')).toEqual([{ eventId }]);
    await restarted.close();
  });

  it('two instances relaying at once publish each row once', async () => {
    // small batches and fast polling, so both relays keep claiming from the same rows
    const env = { ...redisEnv, OUTBOX_BATCH_SIZE: '5', OUTBOX_POLL_INTERVAL_MS: '20' };
    // one after the other: the first applies the migrations if no earlier test did
    const apps: RunningApp[] = [await db.startApp(env)];
    apps.push(await db.startApp(env));
    const publishedBefore = await Promise.all(apps.map((app) => metric(app, 'outbox_events_published_total')));
    const prefix = `pair-${randomBytes(3).toString('hex')}`;
    const perApp = 150;
    const responses = await Promise.all(
      apps.map((app, index) => api(app, 'POST', '/diagnostics/events/orders/batch', { prefix: `${prefix}-${index}`, count: perApp, perTransaction: 3 })),
    );
    expect(responses.map((response) => response.status)).toEqual([200, 200]);

    const total = apps.length * perApp;
    const effects = async () =>
      db.query<{ orderRef: string; n: number }>(
        'SELECT order_ref AS orderRef, COUNT(*) AS n FROM diagnostics_event_effects WHERE order_ref LIKE ? GROUP BY order_ref',
        [`${prefix}-%`],
      );
    await until('every event to be handled', async () => (await effects()).length === total, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await effects()).filter((row) => Number(row.n) !== 1)).toEqual([]);
    expect(await db.query('SELECT COUNT(*) AS n FROM outbox_events WHERE sent_at IS NULL')).toEqual([{ n: 0 }]);

    const published = (await Promise.all(apps.map((app) => metric(app, 'outbox_events_published_total')))).map((count, index) => count - publishedBefore[index]);
    // every row published by exactly one of them, and both took part
    expect(published[0] + published[1]).toBe(total);
    expect(Math.min(...published)).toBeGreaterThan(0);
    expect(await Promise.all(apps.map((app) => metric(app, 'outbox_relay_errors_total')))).toEqual([0, 0]);
    const lag = await request<string>(`${apps[0].baseUrl}/metrics`);
    expect(lag.text).toMatch(/^outbox_lag_seconds 0$/m);
  });
});

describe('domain events and jobs while Redis is unreachable', () => {
  const db = useTestDatabase();
  const redisUrl = new URL(testServices.redisUrl);
  const redisProxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
  const redisEnv = isolatedRedisEnv('redis-down');

  afterAll(async () => {
    await redisProxy.stop();
  });

  it('refuses enqueues at once (503, 7053), keeps publishing events, and delivers them once Redis is back', async () => {
    await redisProxy.start();
    const app = await db.startApp({ ...redisEnv, REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`, OUTBOX_POLL_INTERVAL_MS: '100' });
    await redisProxy.stop();

    const started = Date.now();
    const enqueue = await api(app, 'POST', '/diagnostics/jobs', { key: 'while-down' });
    expect([enqueue.status, enqueue.body.code]).toEqual([503, 7053]);
    expect(Date.now() - started).toBeLessThan(2_000);

    // an event is a database write: the order and its event commit; the relay cannot publish yet
    const placed = await api<{ eventId: string }>(app, 'POST', '/diagnostics/events/orders', { orderRef: 'while-down' });
    expect(placed.status).toBe(200);
    const eventId = placed.body.data?.eventId as string;
    await until('the relay to fail a pass', async () => (await metric(app, 'outbox_relay_errors_total')) > 0);
    expect((await db.query<{ sentAt: Date | null }>('SELECT sent_at AS sentAt FROM outbox_events WHERE id = ?', [eventId]))[0].sentAt).toBeNull();
    expect(await metric(app, 'outbox_lag_seconds')).toBeGreaterThan(0);

    await redisProxy.restart();
    await until('the event to be handled', async () => {
      const rows = await db.query('SELECT event_id FROM diagnostics_event_effects WHERE order_ref = ?', ['while-down']);
      return rows.length > 0;
    }, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await db.query('SELECT event_id AS eventId FROM diagnostics_event_effects WHERE order_ref = ?', ['while-down'])).toEqual([{ eventId }]);
  });
});

