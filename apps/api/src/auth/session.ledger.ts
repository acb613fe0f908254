import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, LessThan, Repository } from 'typeorm';
import { TransactionRunner } from '@app/database';
import { AuthSession, type SessionEndReason, type SessionSubjectKind } from './entities/auth-session.entity';

export interface NewSessionRow {
  id: string;
  subjectKind: SessionSubjectKind;
  subjectId: number;
  role: string;
  refreshHash: string;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  expiresAt: Date;
  absoluteExpiresAt: Date;
}

/** What a refresh needs to know about a session row. */
export interface SessionRow {
  id: string;
  subjectKind: SessionSubjectKind;
  subjectId: number;
  role: string;
  refreshHash: string;
  /** The token the last rotation retired: the only other one that counts as a replay. */
  previousRefreshHash: string | null;
  expiresAt: Date;
  absoluteExpiresAt: Date;
  revokedAt: Date | null;
}

/** Bounds one liveness query (the fallback check while Redis cannot answer). */
const MAX_IDS_PER_QUERY = 500;

/** UTC 'YYYY-MM-DD HH:MM:SS.mmm': what MariaDB takes for DATETIME and how TypeORM writes SQLite dates. */
const sqlTime = (date: Date): string => date.toISOString().replace('T', ' ').slice(0, 23);

/** mysql2 hands back Date objects (UTC, `timezone: 'Z'`); better-sqlite3 the stored UTC text. */
const fromSqlTime = (value: unknown): Date | null => {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  return new Date(`${String(value).replace(' ', 'T')}Z`);
};

interface RawSessionRow {
  id: string;
  subject_kind: SessionSubjectKind;
  subject_id: number | string;
  role: string;
  refresh_hash: string;
  previous_refresh_hash: string | null;
  expires_at: unknown;
  absolute_expires_at: unknown;
  revoked_at: unknown;
}

/**
 * The `auth_sessions` table: the durable truth about sessions. Rotation is one conditional
 * UPDATE (compare-and-set on the current refresh hash), so of two concurrent refreshes with one
 * token exactly one changes the row, on MariaDB and SQLite alike.
 *
 * The per-sign-in and per-refresh statements are plain SQL through the DataSource (portable: `?`
 * placeholders, dates as UTC text): measured here, TypeORM's findOne + update with find operators
 * cost ~450 µs of CPU per refresh, the same statements as SQL ~200 µs.
 */
@Injectable()
export class SessionLedger {
  constructor(
    @InjectRepository(AuthSession) private readonly sessions: Repository<AuthSession>,
    private readonly transactions: TransactionRunner,
  ) {}

  private get dataSource() {
    return this.sessions.manager.connection;
  }

  /** Runs a write and returns how many rows it changed. */
  private async execute(sql: string, parameters: unknown[]): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return (await runner.query(sql, parameters, true)).affected ?? 0;
    } finally {
      await runner.release();
    }
  }

  async create(row: NewSessionRow): Promise<void> {
    await this.execute(
      'INSERT INTO auth_sessions (id, subject_kind, subject_id, role, refresh_hash, generation, ip, user_agent, created_at, expires_at, absolute_expires_at) ' +
        'VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)',
      [
        row.id,
        row.subjectKind,
        row.subjectId,
        row.role,
        row.refreshHash,
        row.ip,
        row.userAgent,
        sqlTime(row.createdAt),
        sqlTime(row.expiresAt),
        sqlTime(row.absoluteExpiresAt),
      ],
    );
  }

  /** Deletes a session row outright: a sign-in whose live record could not be published (neither is kept). */
  async remove(id: string): Promise<void> {
    await this.execute('DELETE FROM auth_sessions WHERE id = ?', [id]);
  }

  private pendingLive: { id: string; resolve: (live: boolean) => void; reject: (error: unknown) => void }[] = [];

  /**
   * Whether a session is live by its row (not ended, not expired): the session check's fallback
   * while Redis cannot answer. Every ending writes the row first, so the row never says "live"
   * for a session that ended. The checks of one event-loop turn are one query on the primary
   * key, as the Redis check is one script call.
   */
  isLive(id: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      if (this.pendingLive.push({ id, resolve, reject }) === 1) setImmediate(() => this.flushLive());
    });
  }

  private flushLive(): void {
    const checks = this.pendingLive;
    this.pendingLive = [];
    const now = sqlTime(new Date());
    for (let start = 0; start < checks.length; start += MAX_IDS_PER_QUERY) {
      const part = checks.slice(start, start + MAX_IDS_PER_QUERY);
      const ids = [...new Set(part.map((check) => check.id))];
      this.dataSource
        .query(`SELECT id FROM auth_sessions WHERE id IN (${ids.map(() => '?').join(', ')}) AND revoked_at IS NULL AND expires_at > ?`, [...ids, now])
        .then(
          (rows: { id: string }[]) => {
            const live = new Set(rows.map((row) => row.id));
            for (const check of part) check.resolve(live.has(check.id));
          },
          (error: unknown) => {
            for (const check of part) check.reject(error);
          },
        );
    }
  }

  async find(id: string): Promise<SessionRow | null> {
    const rows: RawSessionRow[] = await this.dataSource.query(
      'SELECT id, subject_kind, subject_id, role, refresh_hash, previous_refresh_hash, expires_at, absolute_expires_at, revoked_at FROM auth_sessions WHERE id = ?',
      [id],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      subjectKind: row.subject_kind,
      subjectId: Number(row.subject_id),
      role: row.role,
      refreshHash: row.refresh_hash,
      previousRefreshHash: row.previous_refresh_hash,
      expiresAt: fromSqlTime(row.expires_at) as Date,
      absoluteExpiresAt: fromSqlTime(row.absolute_expires_at) as Date,
      revokedAt: fromSqlTime(row.revoked_at),
    };
  }

  /**
   * Swaps the refresh hash if `presentedHash` is still the current one of a live session, keeps
   * the presented one as the previous, and slides the expiry to `expiresAt` but never past the
   * session's absolute end (CASE rather than LEAST/MIN: the same on MariaDB and SQLite).
   */
  async rotate(id: string, presentedHash: string, nextHash: string, now: Date, expiresAt: Date): Promise<boolean> {
    const slid = sqlTime(expiresAt);
    const changed = await this.execute(
      'UPDATE auth_sessions SET refresh_hash = ?, previous_refresh_hash = ?, generation = generation + 1, rotated_at = ?, ' +
        'expires_at = CASE WHEN ? < absolute_expires_at THEN ? ELSE absolute_expires_at END ' +
        'WHERE id = ? AND refresh_hash = ? AND revoked_at IS NULL AND expires_at > ?',
      [nextHash, presentedHash, sqlTime(now), slid, slid, id, presentedHash, sqlTime(now)],
    );
    return changed === 1;
  }

  /**
   * Undoes a rotation whose new tokens never reached the client (the live record could not be
   * renewed): the presented token is current again, so the client's retry is a refresh, not a replay.
   */
  // The token retired before the presented one is forgotten: replaying it is then a plain 2005.
  async unrotate(id: string, presentedHash: string, nextHash: string): Promise<boolean> {
    const changed = await this.execute(
      'UPDATE auth_sessions SET refresh_hash = ?, previous_refresh_hash = NULL, generation = generation - 1 WHERE id = ? AND refresh_hash = ?',
      [presentedHash, id, nextHash],
    );
    return changed === 1;
  }

  /** The account's role went up since the session began: the session follows it. */
  async setRole(id: string, role: string): Promise<void> {
    await this.execute('UPDATE auth_sessions SET role = ? WHERE id = ? AND revoked_at IS NULL', [role, id]);
  }

  /** Ends sessions that have not ended yet; returns how many it ended. */
  async end(ids: readonly string[], reason: SessionEndReason, now: Date): Promise<number> {
    if (ids.length === 0) return 0;
    return this.execute(
      `UPDATE auth_sessions SET revoked_at = ?, revoke_reason = ? WHERE id IN (${ids.map(() => '?').join(', ')}) AND revoked_at IS NULL`,
      [sqlTime(now), reason, ...ids],
    );
  }

  /**
   * Ends every session of an account (but `keepId`, when given) and returns their ids. On MariaDB
   * the rows are read with FOR UPDATE, which also holds back a session being created for the
   * account meanwhile, so none slips through; SQLite serialises writers anyway.
   */
  async endAllOf(kind: SessionSubjectKind, subjectId: number, reason: SessionEndReason, now: Date, keepId?: string): Promise<string[]> {
    return this.transactions.run(async (manager) => {
      const lockable = manager.connection.driver.options.type !== 'better-sqlite3';
      const live = await manager.find(AuthSession, {
        select: { id: true },
        where: { subjectKind: kind, subjectId, revokedAt: IsNull() },
        ...(lockable ? { lock: { mode: 'pessimistic_write' as const } } : {}),
      });
      const ids = live.map((row) => row.id).filter((id) => id !== keepId);
      if (ids.length > 0) await manager.update(AuthSession, { id: In(ids), revokedAt: IsNull() }, { revokedAt: now, revokeReason: reason });
      return ids;
    });
  }

  /**
   * Ends the oldest live sessions of an account beyond `keep` (the newest, `keepId`, always stays),
   * so an account that signs in again and again without logging out holds a bounded number.
   */
  async evictOldest(kind: SessionSubjectKind, subjectId: number, keepId: string, keep: number, now: Date): Promise<string[]> {
    const surplus: { id: string }[] = await this.dataSource.query(
      'SELECT id FROM auth_sessions WHERE subject_kind = ? AND subject_id = ? AND id <> ? AND revoked_at IS NULL AND expires_at > ? ' +
        'ORDER BY created_at DESC, id LIMIT 100 OFFSET ?',
      [kind, subjectId, keepId, sqlTime(now), Math.max(0, keep - 1)],
    );
    const ids = surplus.map((row) => row.id);
    await this.end(ids, 'evicted', now);
    return ids;
  }

  /** Deletes up to `batch` rows that expired before `before`; returns how many. */
  async prune(before: Date, batch: number): Promise<number> {
    const expired = await this.sessions.find({ select: { id: true }, where: { expiresAt: LessThan(before) }, take: batch });
    if (expired.length === 0) return 0;
    await this.sessions.delete({ id: In(expired.map((row) => row.id)) });
    return expired.length;
  }
}
