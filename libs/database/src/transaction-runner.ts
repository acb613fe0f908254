import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel.js';

export interface TransactionOptions {
  isolation?: IsolationLevel;
  /** Extra attempts after a deadlock or lock wait timeout; the whole unit of work re-runs. */
  retries?: number;
}

// MySQL/MariaDB: ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT. SQLite: database is locked.
const RETRYABLE_ERRNOS = new Set([1213, 1205]);
const RETRYABLE_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY']);

export function isRetryableTransactionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { errno?: unknown; code?: unknown; driverError?: unknown };
  if (typeof candidate.errno === 'number' && RETRYABLE_ERRNOS.has(candidate.errno)) return true;
  if (typeof candidate.code === 'string' && RETRYABLE_CODES.has(candidate.code)) return true;
  return candidate.driverError !== undefined && isRetryableTransactionError(candidate.driverError);
}

/**
 * Runs a unit of work in one transaction: everything commits or nothing does. A
 * deadlock victim is retried with jittered backoff, because under concurrent order
 * submission InnoDB picks victims and the right answer is to try again, not to 500.
 */
/**
 * SQLite (the embedded profile) has one connection, and TypeORM turns a transaction begun while
 * another is open into a savepoint inside it: one unit of work's rollback would undo another's
 * "committed" work. There, units of work take turns; one started inside another (same async
 * context) runs inside it, as before.
 */
interface SqliteTurns {
  tail: Promise<unknown>;
  inside: AsyncLocalStorage<true>;
}
const sqliteTurns = new WeakMap<DataSource, SqliteTurns>();

@Injectable()
export class TransactionRunner {
  private readonly logger = new Logger(TransactionRunner.name);

  constructor(private readonly dataSource: DataSource) {}

  async run<T>(work: (manager: EntityManager) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (this.dataSource.options.type !== 'better-sqlite3') return this.runWithRetries(work, options);
    let turns = sqliteTurns.get(this.dataSource);
    if (!turns) {
      turns = { tail: Promise.resolve(), inside: new AsyncLocalStorage<true>() };
      sqliteTurns.set(this.dataSource, turns);
    }
    if (turns.inside.getStore()) return this.runWithRetries(work, options);
    const { inside } = turns;
    const mine = turns.tail.then(() => inside.run(true, () => this.runWithRetries(work, options)));
    turns.tail = mine.catch(() => undefined);
    return mine;
  }

  private async runWithRetries<T>(work: (manager: EntityManager) => Promise<T>, options: TransactionOptions): Promise<T> {
    const retries = options.retries ?? 2;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return options.isolation
          ? await this.dataSource.transaction(options.isolation, work)
          : await this.dataSource.transaction(work);
      } catch (error) {
        if (attempt >= retries || !isRetryableTransactionError(error)) throw error;
        const delayMs = 10 * 2 ** attempt + Math.floor(Math.random() * 10);
        this.logger.warn({ attempt: attempt + 1, delayMs }, 'transaction hit a deadlock or lock timeout; retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }
}
