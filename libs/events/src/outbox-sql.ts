import type { DataSource } from 'typeorm';

/**
 * The few places where the relay's SQL differs between MySQL/MariaDB and the embedded SQLite:
 * row claiming, batched deletes, and how a datetime is bound and read back.
 */
export interface OutboxDialect {
  readonly name: 'mysql' | 'sqlite';
  /** Unsent rows, oldest first, locked for this transaction and skipped by other relays (MySQL). */
  claimUnsent(limit: number): string;
  /** `DELETE … LIMIT` on MySQL; SQLite (without that compile option) needs a subquery. */
  deleteOlderThan(table: 'outbox_events' | 'handled_events', column: 'sent_at' | 'handled_at', limit: number): string;
  /** A Date as a query parameter: mysql2 binds Dates (connection time zone UTC); better-sqlite3 only strings. */
  time(date: Date): Date | string;
  /** A datetime column read back by a raw query. */
  readTime(value: unknown): Date;
}

// TypeORM stores a SQLite datetime as UTC text, 'YYYY-MM-DD HH:MM:SS.SSS', which sorts as time does
const sqliteTime = (date: Date): string => date.toISOString().replace('T', ' ').replace('Z', '');

const readTime = (value: unknown): Date => {
  if (value instanceof Date) return value;
  if (typeof value === 'string') return new Date(value.includes('T') ? value : `${value.replace(' ', 'T')}Z`);
  throw new Error(`not a datetime: ${String(value)}`);
};

const columns = 'id, name, payload, created_at AS createdAt';

export function outboxDialect(dataSource: DataSource): OutboxDialect {
  if (dataSource.options.type === 'better-sqlite3') {
    return {
      name: 'sqlite',
      // one process owns a SQLite file and its relay passes take turns (TransactionRunner): nothing to skip
      claimUnsent: (limit) => `SELECT ${columns} FROM outbox_events WHERE sent_at IS NULL ORDER BY id LIMIT ${limit}`,
      // rowid: handled_events has a two-column key
      deleteOlderThan: (table, column, limit) =>
        `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${column} IS NOT NULL AND ${column} < ? LIMIT ${limit})`,
      time: sqliteTime,
      readTime,
    };
  }
  return {
    name: 'mysql',
    // SKIP LOCKED: several relays each take different rows instead of queueing behind one another
    claimUnsent: (limit) => `SELECT ${columns} FROM outbox_events WHERE sent_at IS NULL ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`,
    deleteOlderThan: (table, column, limit) => `DELETE FROM ${table} WHERE ${column} IS NOT NULL AND ${column} < ? LIMIT ${limit}`,
    time: (date) => date,
    readTime,
  };
}

/** A claimed outbox row, as the relay reads it. */
export interface OutboxRow {
  /** The event id. */
  id: string;
  name: string;
  payload: string;
  createdAt: unknown;
}
