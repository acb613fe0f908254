import { jest } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { boundPool, type ConnectionGate, DatabaseUnavailableError, DeadlineQueue, type PooledConnection } from './bounded-pool';

type AcquireCallback = (error: Error | null, connection?: PooledConnection) => void;
type QueryCallback = (error: unknown, result?: unknown) => void;

/**
 * A stand-in for mysql2's pool with the same contract as its BasePool (lib/base/pool.js, 3.24):
 * a free list, a connection limit, a FIFO queue of callbacks, release() handing a connection to
 * the next waiter, 'connection' emitted for each new connection, destroy() removing it, and
 * getConnection() called again for a waiter whose connection was removed.
 */
class FakeConnection implements PooledConnection {
  readonly pending: QueryCallback[] = [];
  destroyed = false;
  streamError: Error | undefined;
  stream = {
    destroy: (error?: Error): void => {
      this.streamError = error;
      // mysql2 fails every command still queued on a connection whose socket errors
      for (const callback of this.pending.splice(0)) callback(error);
    },
  };

  constructor(
    private readonly pool: FakePool,
    readonly id: number,
  ) {}

  query(...args: unknown[]): unknown {
    const callback = args[args.length - 1] as QueryCallback;
    if (this.destroyed) callback(Object.assign(new Error("Can't add new command when connection is in closed state"), { fatal: true }));
    else this.pending.push(callback);
    return undefined;
  }

  /** The server answers the oldest query on this connection. */
  answer(error: unknown = null): void {
    this.pending.shift()?.(error, error ? undefined : [{ 1: 1 }]);
  }

  release(): void {
    if (!this.destroyed) this.pool.released(this);
  }

  destroy(): void {
    this.destroyed = true;
    this.pool.removed(this);
  }
}

class FakePool extends EventEmitter {
  readonly all: FakeConnection[] = [];
  readonly free: FakeConnection[] = [];
  readonly queue: AcquireCallback[] = [];
  /** How long opening a connection takes; Infinity: the server never completes the handshake. */
  connectDelayMs = 0;
  connectError: Error | undefined;
  queueLimit = 0;
  private closed = false;
  private nextId = 1;

  constructor(private readonly limit: number) {
    super();
  }

  getConnection(callback: AcquireCallback): void {
    if (this.closed) return void process.nextTick(callback, new Error('Pool is closed.'));
    const free = this.free.pop();
    if (free) return void process.nextTick(callback, null, free);
    if (this.all.length < this.limit) {
      const connection = new FakeConnection(this, this.nextId++);
      this.all.push(connection);
      if (this.connectDelayMs === Infinity) return;
      setTimeout(() => {
        if (this.connectError) {
          this.removed(connection);
          callback(this.connectError);
          return;
        }
        this.emit('connection', connection);
        callback(null, connection);
      }, this.connectDelayMs);
      return;
    }
    if (this.queueLimit && this.queue.length >= this.queueLimit) return void callback(new Error('Queue limit reached.'));
    this.queue.push(callback);
  }

  released(connection: FakeConnection): void {
    const waiter = this.queue.shift();
    if (waiter) process.nextTick(waiter, null, connection);
    else this.free.push(connection);
  }

  removed(connection: FakeConnection): void {
    this.all.splice(this.all.indexOf(connection), 1);
    const freeIndex = this.free.indexOf(connection);
    if (freeIndex >= 0) this.free.splice(freeIndex, 1);
    const waiter = this.queue.shift();
    if (waiter) process.nextTick(() => this.getConnection(waiter));
  }

  end(callback?: (error?: unknown) => void): void {
    this.closed = true;
    for (const waiter of this.queue.splice(0)) process.nextTick(waiter, new Error('Pool is closed.'));
    callback?.();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function acquire(pool: FakePool): Promise<{ error: Error | null; connection?: FakeConnection; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) =>
    pool.getConnection((error, connection) => resolve({ error, connection: connection as FakeConnection | undefined, ms: Date.now() - started })),
  );
}

function recordingGate(admit = true) {
  const events: string[] = [];
  const probes: Array<() => Promise<void>> = [];
  const gate: ConnectionGate & { admit: boolean } = {
    admit,
    admits(probe) {
      probes.push(probe);
      return this.admit;
    },
    recordSuccess: () => events.push('success'),
    recordFailure: (error, kind) => events.push(`${kind}:${(error as { code?: string }).code}`),
  };
  return { gate, events, probes };
}

const ACQUIRE_MS = 80;

describe('boundPool', () => {
  it('hands out a free connection as before and tells the gate the database answered', async () => {
    const { gate, events } = recordingGate();
    const pool = boundPool(new FakePool(2), { acquireTimeoutMs: ACQUIRE_MS, queryTimeoutMs: 1000, gate });
    const first = await acquire(pool);
    expect(first.error).toBeNull();
    first.connection?.release();
    const second = await acquire(pool);
    expect(second.connection).toBe(first.connection);
    expect(events).toEqual(['success', 'success']);
  });

  it('fails a caller that waited DB_ACQUIRE_TIMEOUT_MS for a connection, instead of queueing it without end', async () => {
    const { gate, events } = recordingGate();
    const pool = boundPool(new FakePool(1), { acquireTimeoutMs: ACQUIRE_MS, queryTimeoutMs: 1000, gate });
    const holder = await acquire(pool);
    const waiting = await acquire(pool);

    expect(waiting.error).toBeInstanceOf(DatabaseUnavailableError);
    expect(waiting.error).toMatchObject({ reason: 'acquireTimeout', code: 'DB_ACQUIRE_TIMEOUT' });
    expect(waiting.ms).toBeGreaterThanOrEqual(ACQUIRE_MS - 5);
    expect(waiting.ms).toBeLessThan(ACQUIRE_MS + 100);
    expect(events).toEqual(['success', 'timeout:DB_ACQUIRE_TIMEOUT']);
    holder.connection?.release();
  });

  it('puts a connection that arrives after its caller gave up back in the pool: none is leaked', async () => {
    const raw = new FakePool(1);
    const pool = boundPool(raw, { acquireTimeoutMs: ACQUIRE_MS, queryTimeoutMs: 1000 });
    const holder = await acquire(pool);
    expect((await acquire(pool)).error).toMatchObject({ reason: 'acquireTimeout' });

    // the abandoned waiter is still in mysql2's queue: it receives the connection and must give it back
    holder.connection?.release();
    await sleep(5);
    expect(raw.free).toEqual([holder.connection]);
    const next = await acquire(pool);
    expect(next.error).toBeNull();
    expect(next.connection).toBe(holder.connection);
    // handed out at once: well under the acquire timeout (a bound, not a speed check: a busy host steals ms)
    expect(next.ms).toBeLessThan(ACQUIRE_MS / 2);
  });

  it('also returns a connection whose slow handshake completed after the timeout', async () => {
    const raw = new FakePool(1);
    raw.connectDelayMs = ACQUIRE_MS * 2;
    const pool = boundPool(raw, { acquireTimeoutMs: ACQUIRE_MS, queryTimeoutMs: 1000 });
    expect((await acquire(pool)).error).toMatchObject({ reason: 'acquireTimeout' });
    await sleep(ACQUIRE_MS * 2);
    expect(raw.free).toHaveLength(1);
    const [late] = raw.free;
    expect((await acquire(pool)).connection).toBe(late);
  });

  it('refuses at once while the gate is shut, without queueing in the pool', async () => {
    const { gate, events, probes } = recordingGate(false);
    const raw = new FakePool(1);
    const pool = boundPool(raw, { acquireTimeoutMs: ACQUIRE_MS, queryTimeoutMs: 1000, gate });
    const refused = await acquire(pool);
    expect(refused.error).toMatchObject({ name: 'DatabaseUnavailableError', reason: 'circuitOpen', code: 'DB_CIRCUIT_OPEN' });
    // refused without waiting for the acquire timeout (a bound, not a speed check)
    expect(refused.ms).toBeLessThan(ACQUIRE_MS / 2);
    expect(raw.all).toHaveLength(0);
    expect(events).toEqual([]);
    expect(probes).toHaveLength(1);
  });

  it("gives the gate a probe that bypasses it and checks a connection with SELECT 1", async () => {
    const { gate, probes } = recordingGate(false);
    const raw = new FakePool(1);
    const pool = boundPool(raw, { acquireTimeoutMs: ACQUIRE_MS, queryTimeoutMs: 1000, gate });
    await acquire(pool);
    const probe = probes[0]();
    await sleep(5);
    const connection = raw.all[0];
    expect(connection.pending).toHaveLength(1);
    connection.answer();
    await expect(probe).resolves.toBeUndefined();
    expect(raw.free).toEqual([connection]);
  });

  it('turns the pool\'s own failures into DatabaseUnavailableError, keeping the driver\'s message and code', async () => {
    const { gate, events } = recordingGate();
    const raw = new FakePool(1);
    raw.connectError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', fatal: true });
    const pool = boundPool(raw, { acquireTimeoutMs: ACQUIRE_MS, queryTimeoutMs: 1000, gate });
    const refused = await acquire(pool);
    expect(refused.error).toMatchObject({ reason: 'connectFailed', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' });

    raw.connectError = undefined;
    raw.queueLimit = 1;
    const holder = await acquire(pool);
    const queued = acquire(pool);
    const overflow = await acquire(pool);
    expect(overflow.error).toMatchObject({ reason: 'queueFull', code: 'DB_QUEUE_FULL' });
    holder.connection?.release();
    expect((await queued).error).toBeNull();
    expect(events).toEqual(['failure:ECONNREFUSED', 'success', 'failure:DB_QUEUE_FULL', 'success']);
  });

  it('does not count "pool is closed" during shutdown against the database', async () => {
    const { gate, events } = recordingGate();
    const pool = boundPool(new FakePool(1), { acquireTimeoutMs: ACQUIRE_MS, queryTimeoutMs: 1000, gate });
    await acquire(pool);
    const waiting = acquire(pool);
    pool.end();
    expect((await waiting).error).toMatchObject({ reason: 'poolClosed' });
    expect(events).toEqual(['success']);
  });

  it('retires a connection whose query timed out: out of the pool, socket destroyed, queued commands failed', async () => {
    const { gate, events } = recordingGate();
    const raw = new FakePool(2);
    const pool = boundPool(raw, { acquireTimeoutMs: ACQUIRE_MS, queryTimeoutMs: 1000, gate });
    const { connection } = await acquire(pool);
    if (!connection) throw new Error('no connection');

    const results: unknown[] = [];
    connection.query({ sql: 'SELECT SLEEP(60)', timeout: 50 }, (error: unknown) => results.push(error));
    // what TypeORM sends next on the same connection: the failed transaction's ROLLBACK
    connection.query('ROLLBACK', (error: unknown) => results.push(error));
    const timeout = Object.assign(new Error('Query inactivity timeout'), { code: 'PROTOCOL_SEQUENCE_TIMEOUT' });
    connection.answer(timeout);

    expect(connection.destroyed).toBe(true);
    expect(raw.all).not.toContain(connection);
    expect(connection.streamError).toMatchObject({ code: 'PROTOCOL_SEQUENCE_TIMEOUT' });
    expect(results).toHaveLength(2);
    expect(results).toEqual(expect.arrayContaining([timeout, connection.streamError]));
    expect(events).toEqual(['success', 'timeout:PROTOCOL_SEQUENCE_TIMEOUT']);

    // released by TypeORM afterwards: ignored, and the next caller gets a fresh connection
    connection.release();
    const next = await acquire(pool);
    expect(next.connection).not.toBe(connection);
  });

  it('leaves connections alone when a query fails for any other reason', async () => {
    const raw = new FakePool(1);
    const pool = boundPool(raw, { acquireTimeoutMs: ACQUIRE_MS, queryTimeoutMs: 1000 });
    const { connection } = await acquire(pool);
    if (!connection) throw new Error('no connection');
    let failure: unknown;
    connection.query('INSERT …', (error: unknown) => (failure = error));
    connection.answer(Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY' }));
    expect(failure).toMatchObject({ code: 'ER_DUP_ENTRY' });
    expect(connection.destroyed).toBe(false);
    connection.release();
    expect(raw.free).toEqual([connection]);
  });
});

describe('DeadlineQueue', () => {
  // on jest's clock: the deadlines are what is tested, not how busy the machine running the suite is
  it('expires each waiter still waiting at its own deadline, with one timer for all of them', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const queue = new DeadlineQueue(60);
      const started = Date.now();
      const expired: Array<[string, number]> = [];
      const note = (name: string) => () => expired.push([name, Date.now() - started]);
      const first = queue.add(note('first'));
      jest.advanceTimersByTime(20);
      queue.add(note('second'));
      const third = queue.add(note('third'));
      jest.advanceTimersByTime(20);
      queue.add(note('fourth'));
      queue.settle(third);
      queue.settle(first);
      jest.advanceTimersByTime(100);

      expect(expired.map(([name]) => name)).toEqual(['second', 'fourth']);
      const [[, second], [, fourth]] = expired;
      expect(second).toBeGreaterThanOrEqual(80);
      expect(second).toBeLessThan(100);
      expect(fourth).toBeGreaterThanOrEqual(100);
      expect(fourth).toBeLessThan(120);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps working when a caller that timed out waits again at once, and after it has emptied', async () => {
    const queue = new DeadlineQueue(30);
    const events: string[] = [];
    queue.add(() => {
      events.push('first expired');
      queue.add(() => events.push('retry expired'));
    });
    await sleep(80);
    expect(events).toEqual(['first expired', 'retry expired']);
    const settled = queue.add(() => events.push('never'));
    queue.settle(settled);
    await sleep(50);
    expect(events).toHaveLength(2);
  });

  it('drops settled waiters as they settle, and those behind a slow one once its deadline passes', async () => {
    const queue = new DeadlineQueue(30);
    for (let i = 0; i < 10_000; i += 1) queue.settle(queue.add(() => undefined));
    expect(queue['entries']).toHaveLength(0);
    // a caller still waiting keeps the ones after it (at most one timeout's worth of checkouts)
    let slowExpired = false;
    queue.add(() => (slowExpired = true));
    for (let i = 0; i < 10_000; i += 1) queue.settle(queue.add(() => undefined));
    await sleep(60);
    expect(slowExpired).toBe(true);
    expect(queue['entries']).toHaveLength(0);
  });
});
