import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type SessionSubjectKind = 'user' | 'admin';

/** Why a session ended before its expiry (kept for support and security reviews). */
export type SessionEndReason = 'logout' | 'reuse' | 'revoked' | 'evicted';

/**
 * One sign-in (a "refresh token family"): the durable record behind the `sid` of access tokens.
 * Only the sha256 of the one refresh token that may be used next is stored; each refresh swaps
 * it (compare-and-set on `refresh_hash`) and bumps `generation`. The fast per-request liveness
 * check reads Redis (session.store.ts), which this table can always rebuild.
 */
@Entity({ name: 'auth_sessions' })
@Index('idx_auth_sessions_subject', ['subjectKind', 'subjectId'])
export class AuthSession {
  /** UUID; the `sid` claim of access tokens and the first 16 bytes of every refresh token. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'subject_kind', type: 'varchar', length: 8 })
  subjectKind: SessionSubjectKind;

  @Column({ name: 'subject_id', type: 'int' })
  subjectId: number;

  @Column({ type: 'varchar', length: 16 })
  role: string;

  /** sha256 (hex) of the current refresh token. */
  @Column({ name: 'refresh_hash', type: 'varchar', length: 64 })
  refreshHash: string;

  /**
   * sha256 (hex) of the token the last rotation retired: presenting it again is a replay (the
   * session ends). Any other token that merely names the session is answered 2005 and ends nothing.
   */
  @Column({ name: 'previous_refresh_hash', type: 'varchar', length: 64, nullable: true })
  previousRefreshHash: string | null;

  /** How many times the refresh token was rotated. */
  @Column({ type: 'int', default: 0 })
  generation: number;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 255, nullable: true })
  userAgent: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'rotated_at', type: 'datetime', nullable: true })
  rotatedAt: Date | null;

  /** Sliding: each refresh moves it to now + AUTH_REFRESH_TTL_S, never past `absoluteExpiresAt`. */
  @Index('idx_auth_sessions_expires_at')
  @Column({ name: 'expires_at', type: 'datetime' })
  expiresAt: Date;

  /** Sign-in + AUTH_SESSION_MAX_AGE_S (admins: AUTH_ADMIN_SESSION_MAX_AGE_S): no refresh goes past it. */
  @Column({ name: 'absolute_expires_at', type: 'datetime' })
  absoluteExpiresAt: Date;

  @Column({ name: 'revoked_at', type: 'datetime', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoke_reason', type: 'varchar', length: 16, nullable: true })
  revokeReason: SessionEndReason | null;
}
