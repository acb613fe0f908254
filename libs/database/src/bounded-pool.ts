import { traceQueries } from './query-tracing';
import { PlatformTools } from 'typeorm/platform/PlatformTools.js';

/**
 * Decides whether a caller may wait for a database connection, and hears how waits and queries
 * failed. The composition root passes the 'database' circuit breaker (libs/resilience
 * DependencyBreaker); libs/database only knows this shape, so it depends on nothing above it.
 */
export interface ConnectionGate {
  /**
   * False while callers must not wait (the database stalled moments ago): they fail at once.
   * When the gate wants to know whether the database is back, it runs `probe` in the background.
   */
  admits(probe: () => Promise<void>): boolean;
  /** A connection was handed out: the database is answering. */
  recordSuccess(): void;
  /** Waiting for a connection, or a query, failed in a way that says the database is not answering. */
  recordFailure(error: unknown, kind: 'failure' | 'timeout'): void;
}

export type DatabaseUnavailableReason = 'acquireTimeout' | 'circuitOpen' | 'queueFull' | 'poolClosed' | 'connectFailed';

/**
 * No connection could be had from the pool: none came free within DB_ACQUIRE_TIMEOUT_MS, the
 * circuit is open after a stall, the pool's queue is full, or the server refused or ignored a
 * new connection. Nothing about the request was wrong: clients get 503 (DatabaseError.Unavailable).
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  /** The driver's code when the driver raised it (ECONNREFUSED, ETIMEDOUT...), else DB_<REASON>. */
  readonly code: string;

  constructor(
    readonly reason: DatabaseUnavailableReason,
    message: string,
    options: { cause?: unknown; code?: string } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = options.code ?? `DB_${reason.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;
  }
}

export interface PoolBounds {
  /** Longest a caller waits for a pooled connection, including opening a new one. */
  acquireTimeoutMs: number;
  /** The query timeout; the background probe's `SELECT 1` uses it too. */
  queryTimeoutMs: number;
  gate?: ConnectionGate;
}

type AcquireCallback = (error: Error | null, connection?: PooledConnection) => void;
type QueryCallback = (error: unknown, ...results: unknown[]) => unknown;

/** The parts of a mysql2 PoolConnection this file uses. */
export interface PooledConnection {
  release(): void;
  destroy(): void;
  query(...args: unknown[]): unknown;
  stream?: { destroy(error?: Error): void };
}

/** The parts of a mysql2 Pool this file uses. */
export interface ConnectionPool {
  getConnection(callback: AcquireCallback): void;
  end(callback?: (error?: unknown) => void): void;
  on(event: 'connection', listener: (connection: PooledConnection) => void): unknown;
}

/** mysql2's own texts for these two (its errors carry no code). */
const QUEUE_FULL_MESSAGE = 'Queue limit reached.';
const POOL_CLOSED_MESSAGE = 'Pool is closed.';

function asUnavailable(error: Error): DatabaseUnavailableError {
  if (error instanceof DatabaseUnavailableError) return error;
  const { code } = error as { code?: unknown };
  const reason: DatabaseUnavailableReason =
    error.message === QUEUE_FULL_MESSAGE ? 'queueFull' : error.message === POOL_CLOSED_MESSAGE ? 'poolClosed' : 'connectFailed';
  // the driver's message stays (the boot error names ECONNREFUSED, the host, the port)
  return new DatabaseUnavailableError(reason, error.message, { cause: error, code: typeof code === 'string' ? code : undefined });
}

export function isQueryTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'PROTOCOL_SEQUENCE_TIMEOUT';
}

/**
 * mysql2 times a query out by calling back with "Query inactivity timeout" and nothing else: the
 * silent command stays at the head of the connection, the connection goes back to the pool, and
 * whatever is sent on it next (the ROLLBACK of the failed transaction, the next request's query)
 * queues behind it with no timer of its own, until the server answers, maybe never. So a
 * connection whose query timed out leaves the pool at once and its socket is destroyed; the
 * commands queued on it fail with the same timeout.
 */
function retireOnQueryTimeout(connection: PooledConnection, onTimeout: (error: unknown) => void): void {
  const query = connection.query;
  let retired = false;
  connection.query = function queryWithRetirement(this: unknown, ...args: unknown[]): unknown {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: unknown, ...results: unknown[]): unknown => {
        if (!retired && isQueryTimeout(error)) {
          retired = true;
          // out of the pool first, synchronously: nobody may be handed this connection any more
          connection.destroy();
          const queued = Object.assign(new Error('Query inactivity timeout (an earlier query on this connection timed out)'), {
            code: 'PROTOCOL_SEQUENCE_TIMEOUT',
          });
          connection.stream?.destroy(queued);
          onTimeout(error);
        }
        return (callback as QueryCallback)(error, ...results);
      };
    }
    return query.apply(this, args);
  };
}

interface Deadline {
  readonly at: number;
  settled: boolean;
  readonly expire: () => void;
}

/**
 * The clocks of the callers waiting for a connection. They all wait the same time, so their
 * deadlines fall in the order they arrived, and one timer, armed for the oldest caller still
 * waiting, serves them all: a timer per checkout (setTimeout + clearTimeout) cost ~1 µs of the
 * ~25 µs of client CPU a TypeORM query takes here; this costs a clock read and an array push.
 */
export class DeadlineQueue {
  private readonly entries: Deadline[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** Starts a caller's clock; `expire` runs if it is still waiting `timeoutMs` from now. */
  add(expire: () => void): Deadline {
    const entry: Deadline = { at: Date.now() + this.timeoutMs, settled: false, expire };
    this.entries.push(entry);
    this.arm(this.timeoutMs);
    return entry;
  }

  /** The caller got its answer in time: its clock stops. */
  settle(entry: Deadline): void {
    entry.settled = true;
    this.dropSettled();
  }

  private arm(delayMs: number): void {
    // unreferenced: a caller still waiting keeps the process alive through the pool's own socket
    this.timer ??= setTimeout(this.sweep, delayMs).unref();
  }

  private dropSettled(): void {
    while (this.head < this.entries.length && this.entries[this.head].settled) this.head += 1;
    if (this.head === this.entries.length) {
      this.entries.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    const now = Date.now();
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head];
      if (!entry.settled) {
        if (entry.at > now) break;
        entry.settled = true;
        entry.expire();
      }
      this.head += 1;
    }
    this.dropSettled();
    if (this.head < this.entries.length) this.arm(this.entries[this.head].at - now);
  };
}

/**
 * Bounds every wait on a mysql2 pool, in place (mysql2 3.x has no acquire timeout: a caller
 * waits in its queue for as long as the server stalls):
 * - `getConnection` fails after `acquireTimeoutMs` with DatabaseUnavailableError('acquireTimeout').
 *   A connection that arrives after that goes straight back to the pool: none is lost. Every other
 *   failure to get a connection becomes a DatabaseUnavailableError with the driver's message and code.
 * - with a gate, a caller the gate refuses fails at once (DatabaseUnavailableError('circuitOpen')),
 *   and the gate hears each wait's outcome and each query timeout;
 * - a connection whose query timed out is retired (retireOnQueryTimeout).
 * A healthy pool pays a clock read and two closures per acquisition, one closure per query.
 */
export function boundPool<P extends ConnectionPool>(pool: P, bounds: PoolBounds): P {
  const acquire = pool.getConnection.bind(pool);
  const end = pool.end.bind(pool);
  const gate = bounds.gate;
  // mysql2 calls getConnection again for a waiter whose connection was removed: it is ours already
  const waiters = new WeakSet<AcquireCallback>();
  let closing = false;

  const deadlines = new DeadlineQueue(bounds.acquireTimeoutMs);

  const waitFor = (callback: AcquireCallback, reportToGate: boolean): void => {
    const deadline = deadlines.add(() => {
      const error = new DatabaseUnavailableError('acquireTimeout', `no database connection became free within ${bounds.acquireTimeoutMs} ms`);
      if (reportToGate) gate?.recordFailure(error, 'timeout');
      callback(error);
    });
    const waiter: AcquireCallback = (error, connection) => {
      if (deadline.settled) {
        // its caller has given up: back to the pool (or to the next waiter), never leaked
        connection?.release();
        return;
      }
      deadlines.settle(deadline);
      if (error) {
        const unavailable = asUnavailable(error);
        if (reportToGate && !closing) gate?.recordFailure(unavailable, 'failure');
        callback(unavailable);
        return;
      }
      if (reportToGate) gate?.recordSuccess();
      callback(null, connection);
    };
    waiters.add(waiter);
    acquire(waiter);
  };

  // the gate's trial call: a connection and an answer to SELECT 1, each within its bound
  const probe = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      waitFor((error, connection) => {
        if (error || !connection) {
          reject(error ?? new Error('no connection'));
          return;
        }
        connection.query({ sql: 'SELECT 1', timeout: bounds.queryTimeoutMs }, (queryError: unknown) => {
          // a connection retired by its timeout ignores this
          connection.release();
          if (queryError) reject(queryError instanceof Error ? queryError : new Error(String(queryError)));
          else resolve();
        });
      }, false);
    });

  pool.getConnection = (callback: AcquireCallback): void => {
    if (waiters.has(callback)) {
      acquire(callback);
      return;
    }
    if (gate && !closing && !gate.admits(probe)) {
      const refused = new DatabaseUnavailableError('circuitOpen', 'the database stalled moments ago; failing fast until a probe gets an answer');
      process.nextTick(callback, refused);
      return;
    }
    waitFor(callback, true);
  };
  pool.end = (callback?: (error?: unknown) => void): void => {
    closing = true;
    end(callback);
  };
  pool.on('connection', (connection) => {
    retireOnQueryTimeout(connection, (error) => {
      if (!closing) gate?.recordFailure(error, 'timeout');
    });
    // a span per query inside a recorded trace (OTEL_EXPORTER_OTLP_ENDPOINT), else one context read
    traceQueries(connection);
  });
  return pool;
}

interface MysqlDriverModule {
  createPool(options: object): ConnectionPool;
}

/**
 * What TypeORM's `driver` option gets instead of the mysql2 module: the same module, whose pools
 * are bounded (boundPool). mysql2 is loaded the way TypeORM would load it, on first use, so the
 * embedded profile never pays for it. TypeORM only calls createPool (replication is not configured).
 */
export function boundedMysqlDriver(bounds: PoolBounds, load: () => MysqlDriverModule = () => PlatformTools.load('mysql2') as MysqlDriverModule) {
  return {
    createPool: (options: object): ConnectionPool => boundPool(load().createPool(options), bounds),
  };
}
