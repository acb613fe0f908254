import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { LRUCache } from 'lru-cache';
import type { FastifyRequest } from 'fastify';
import { AppError, checkSignature, CommonError, type Principal, type Role, SIGNATURE_WINDOW_MS } from '@app/http';
import { type AccountLookup, type AccountStanding, lowersAccess } from './account-standing';
import type { AuthConfig } from './auth.config';
import { AuthError } from './auth.errors';
import type { SessionEndReason } from './entities/auth-session.entity';
import { SessionLedger } from './session.ledger';
import { hashToken, mintRefreshToken, sameHash, sessionIdOfRefreshToken } from './refresh-tokens';
import type { LiveSession, SessionStore } from './session.store';

export const SESSION_STORE = Symbol('SESSION_STORE');
export const AUTH_CONFIG = Symbol('AUTH_CONFIG');

/** The claims of our access tokens (HS256, algorithm pinned on verify). */
interface AccessClaims {
  exp: number;
  sub: string;
  role: Role;
  sid: string;
  typ: Principal['kind'];
  jti: string;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  /** Access token lifetime in seconds. */
  expiresIn: number;
  tokenType: 'Bearer';
  /** HMAC key for signed requests in this session (see README: request signing). */
  signKey: string;
}

export interface SessionSubject {
  kind: Principal['kind'];
  id: number;
  role: Role;
  /** WeChat's session_key, kept with the session for decrypt and phone flows. */
  wechatSessionKey?: string;
}

/** Where a session was started from, recorded with it (support, security reviews). */
export interface SessionClient {
  ip?: string;
  userAgent?: string;
}

export interface IssueOptions {
  /**
   * Runs once the session is recorded; if it throws, the session is ended and the error passed
   * on. Re-reading "is the account still enabled?" here closes the race with a concurrent
   * `revokeAllFor()`: either that call sees the new session, or this check sees the disabling.
   */
  confirm?: () => Promise<void>;
}

const headerValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

const truncate = (value: string | undefined, max: number): string | null => (value ? Array.from(value).slice(0, max).join('') : null);

/**
 * Issues, rotates and ends sessions. Access tokens are short-lived JWTs naming their session;
 * every request also checks that the session is alive (Redis, or the process when embedded), so
 * logout, theft detection and disabling an account take effect at once. The `auth_sessions`
 * table is the durable truth (SessionLedger): refresh tokens are stored there only as sha256,
 * each is good for one use, and presenting a retired one ends the whole session. Each refresh
 * reads the account again, and no session outlives its absolute lifetime. See
 * docs/decisions/0010-sessions-and-tokens.md.
 */
@Injectable()
export class AuthSessionService {
  private readonly logger = new Logger('Auth');
  private readonly verifiedTokens = new LRUCache<string, AccessClaims>({ max: 10_000 });
  private lastStoreErrorLog = 0;
  private checksOnDatabase = 0;
  private readonly accounts = new Map<Principal['kind'], AccountLookup>();

  constructor(
    private readonly jwt: JwtService,
    private readonly ledger: SessionLedger,
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  /**
   * Tells refresh how to read the accounts of one kind (the user and admin features own those
   * tables; auth cannot import them). Refresh fails closed for a kind nobody registered.
   */
  registerAccountLookup(kind: Principal['kind'], lookup: AccountLookup): void {
    this.accounts.set(kind, lookup);
  }

  /** Starts a session: the row, the live record, then the account's oldest sessions beyond the cap end. */
  async issue(subject: SessionSubject, client: SessionClient = {}, options: IssueOptions = {}): Promise<IssuedTokens> {
    const sessionId = randomUUID();
    const refreshToken = mintRefreshToken(sessionId);
    const signKey = randomBytes(32).toString('base64url');
    const now = new Date();
    const endsAt = now.getTime() + this.config.sessionMaxAgeS[subject.kind] * 1000;
    await this.ledger.create({
      id: sessionId,
      subjectKind: subject.kind,
      subjectId: subject.id,
      role: subject.role,
      refreshHash: hashToken(refreshToken),
      ip: truncate(client.ip, 64),
      userAgent: truncate(client.userAgent, 255),
      createdAt: now,
      expiresAt: new Date(Math.min(now.getTime() + this.refreshTtlMs, endsAt)),
      absoluteExpiresAt: new Date(endsAt),
    });
    if (options.confirm) {
      try {
        await options.confirm();
      } catch (error) {
        await this.ledger.end([sessionId], 'revoked', new Date());
        throw error;
      }
    }
    // Refused only when the session was ended since its row was written (revokeAllFor, or a newer
    // sign-in of the account evicting it): its tokens are dead, as if that had come a moment later.
    try {
      await this.store.put(
        {
          sessionId,
          kind: subject.kind,
          subjectId: subject.id,
          role: subject.role,
          signKey,
          wechatSessionKey: subject.wechatSessionKey ?? null,
          endsAt,
        },
        this.liveTtlMs(now.getTime(), endsAt),
      );
    } catch (error) {
      await this.abandon(sessionId);
      throw error;
    }
    const evicted = await this.ledger.evictOldest(subject.kind, subject.id, sessionId, this.config.maxSessionsPerAccount, now);
    if (evicted.length > 0) await this.store.end(evicted, this.tombstoneTtlMs);
    return { ...this.accessTokenFor(subject.kind, subject.id, subject.role, sessionId), refreshToken, signKey };
  }

  /**
   * A sign-in whose live record could not be published (Redis down or stalled) is not kept at all:
   * the client gets 503/504 and no tokens, so a live row would be a session nobody holds (counted
   * against the account's cap, and live to the database fallback). The row goes; the record is
   * ended too, in case a stalled Redis still executes the put later (the store replays the ending
   * when Redis answers again).
   */
  private async abandon(sessionId: string): Promise<void> {
    try {
      await this.ledger.remove(sessionId);
    } catch (error) {
      // nobody holds its tokens; it stays a live row until it expires or is evicted
      this.logger.warn({ sessionId, err: (error as Error).message }, 'abandoned sign-in: its session row could not be deleted');
    }
    await this.store.end([sessionId], this.tombstoneTtlMs);
  }

  /**
   * One use per refresh token: a new pair, the presented token retired (compare-and-set on the
   * session row), the expiry slid but never past the session's absolute end. The account is read
   * again: disabled, gone or with less access than the session holds ends the session (2031); more
   * access, and the session follows it. Presenting the token the last rotation retired (a thief, or
   * the loser of two concurrent refreshes with one token) ends the session: 2006. Any other token
   * that merely names the session (its id is no secret) is a plain 2005 and ends nothing.
   */
  async refresh(refreshToken: string): Promise<IssuedTokens> {
    const sessionId = sessionIdOfRefreshToken(refreshToken);
    if (!sessionId) throw new AppError(AuthError.InvalidRefreshToken);
    const presented = hashToken(refreshToken);
    const nextToken = mintRefreshToken(sessionId);
    const now = new Date();
    // the happy path is this one UPDATE (compare-and-set), one Redis script and one account read
    if (!(await this.ledger.rotate(sessionId, presented, hashToken(nextToken), now, new Date(now.getTime() + this.refreshTtlMs)))) {
      return this.refuseRefresh(sessionId, presented, now);
    }
    let live: LiveSession;
    let lowered = false;
    try {
      live = (await this.store.renew(sessionId, this.refreshTtlMs, now.getTime())) ?? (await this.rebuildLiveSession(sessionId, now));
      const standing = await this.standingOf(live.kind, live.subjectId);
      if (lowersAccess(live.role, standing)) lowered = true;
      else if (standing && standing.role !== live.role) live = await this.followRole(live, standing.role, now);
    } catch (error) {
      // the new tokens never reach the client: without the rollback its retry with the token it
      // holds would look like a replay and end the session
      await this.ledger.unrotate(sessionId, presented, hashToken(nextToken));
      throw error;
    }
    if (lowered) {
      await this.endSessions([sessionId], 'revoked');
      this.logger.log({ sessionId, kind: live.kind, subjectId: live.subjectId }, 'refresh refused: the account was disabled or lost access');
      throw new AppError(AuthError.AccessRevoked);
    }
    return {
      ...this.accessTokenFor(live.kind, live.subjectId, live.role as Role, sessionId),
      refreshToken: nextToken,
      signKey: live.signKey,
    };
  }

  private async refuseRefresh(sessionId: string, presented: string, now: Date): Promise<never> {
    const session = await this.ledger.find(sessionId);
    if (!session || session.revokedAt) throw new AppError(AuthError.InvalidRefreshToken);
    if (session.expiresAt.getTime() <= now.getTime()) {
      // only the holder of the session's current token learns that its lifetime is over
      const over = session.absoluteExpiresAt.getTime() <= now.getTime() && sameHash(session.refreshHash, presented);
      throw new AppError(over ? AuthError.SessionLifetimeOver : AuthError.InvalidRefreshToken);
    }
    if (session.previousRefreshHash !== null && sameHash(session.previousRefreshHash, presented)) {
      return this.endReplayedSession(sessionId);
    }
    throw new AppError(AuthError.InvalidRefreshToken);
  }

  private async standingOf(kind: Principal['kind'], id: number): Promise<AccountStanding | null> {
    const lookup = this.accounts.get(kind);
    if (!lookup) throw new Error(`no account lookup registered for ${kind} sessions: refresh refuses them`);
    return lookup(id);
  }

  /** The account gained access since sign-in: the row and the live record take its role. */
  private async followRole(live: LiveSession, role: Role, now: Date): Promise<LiveSession> {
    const next = { ...live, role };
    await this.ledger.setRole(live.sessionId, role);
    await this.store.put(next, this.liveTtlMs(now.getTime(), live.endsAt));
    return next;
  }

  /**
   * The live record is gone although the row was just rotated: Redis lost it (restart without
   * persistence), or the session ended right after our rotation. It is rebuilt from the row with
   * a new signKey (returned to the client) and without a WeChat session_key. In the second case
   * the tombstone refuses it and the new tokens are dead already, exactly as if the session had
   * ended a moment later; answering 200 either way keeps "one of two concurrent refreshes
   * succeeds" exact.
   */
  private async rebuildLiveSession(sessionId: string, now: Date): Promise<LiveSession> {
    const row = await this.ledger.find(sessionId);
    if (!row) throw new AppError(AuthError.InvalidRefreshToken);
    const live: LiveSession = {
      sessionId,
      kind: row.subjectKind,
      subjectId: row.subjectId,
      role: row.role,
      signKey: randomBytes(32).toString('base64url'),
      wechatSessionKey: null,
      endsAt: row.absoluteExpiresAt.getTime(),
    };
    await this.store.put(live, this.liveTtlMs(now.getTime(), live.endsAt));
    return live;
  }

  private async endReplayedSession(sessionId: string): Promise<never> {
    await this.endSessions([sessionId], 'reuse');
    this.logger.warn({ sessionId }, 'refresh token replayed: session ended (possible token theft)');
    throw new AppError(AuthError.RefreshTokenReused);
  }

  /**
   * The principal of a bearer token, or an AppError: wrong signature, another algorithm
   * (including `none`), a tampered payload → 2002; expired → 2003; ended session → 2004.
   */
  async authenticate(token: string): Promise<Principal> {
    const claims = this.verifyAccessToken(token);
    const id = Number(claims.sub);
    if (!Number.isSafeInteger(id) || typeof claims.sid !== 'string' || (claims.typ !== 'user' && claims.typ !== 'admin')) {
      throw new AppError(AuthError.InvalidToken);
    }
    if (!(await this.isAlive(claims.sid))) throw new AppError(AuthError.SessionEnded);
    return { kind: claims.typ, id, role: claims.role, sessionId: claims.sid };
  }

  /**
   * Redis first (one script call per event-loop turn); while it cannot answer (down, stalled: the
   * 'redis' circuit makes that immediate), the session's row decides. The row is never more
   * lenient than Redis: every ending (logout, reuse, disabling, eviction, an abandoned sign-in)
   * writes the row before the live record, so no ended session passes. It may be less strict in
   * one case: a session whose live record Redis lost passes here, where Redis would answer 2004
   * and the client's next refresh would rebuild it anyway. Fails closed: when neither can
   * answer, signed-in requests get 503 (1008).
   */
  private async isAlive(sessionId: string): Promise<boolean> {
    try {
      return await this.store.isAlive(sessionId);
    } catch (storeError) {
      this.reportStoreDown(storeError);
      try {
        return await this.ledger.isLive(sessionId);
      } catch (error) {
        throw new AppError(CommonError.ServiceUnavailable, { cause: error });
      }
    }
  }

  // one line per 10 s with how many checks went to the database, not one per request
  private reportStoreDown(error: unknown): void {
    this.checksOnDatabase += 1;
    const now = Date.now();
    if (now - this.lastStoreErrorLog < 10_000) return;
    this.lastStoreErrorLog = now;
    this.logger.warn(
      { err: (error as Error).message, checkedOnDatabase: this.checksOnDatabase },
      'session store unavailable: sessions are checked against the database',
    );
    this.checksOnDatabase = 0;
  }

  /**
   * Signature and expiry, with the verified claims of recent tokens kept in a small LRU keyed by
   * the whole token (a client sends the same token for 15 minutes; any altered byte is a miss and
   * is verified in full). Expiry is re-checked on every hit; revocation is the session check.
   */
  private verifyAccessToken(token: string): AccessClaims {
    const cached = this.verifiedTokens.get(token);
    if (cached) {
      if (cached.exp * 1000 > Date.now()) return cached;
      this.verifiedTokens.delete(token);
      throw new AppError(AuthError.TokenExpired);
    }
    let claims: AccessClaims;
    try {
      claims = this.jwt.verify<AccessClaims>(token, { algorithms: ['HS256'] });
    } catch (error) {
      throw new AppError((error as Error).name === 'TokenExpiredError' ? AuthError.TokenExpired : AuthError.InvalidToken);
    }
    if (typeof claims.exp === 'number') {
      this.verifiedTokens.set(token, claims, { ttl: Math.max(1, claims.exp * 1000 - Date.now()) });
    }
    return claims;
  }

  /** Ends one session (logout): its access and refresh tokens stop working at once. */
  async revoke(sessionId: string): Promise<void> {
    await this.endSessions([sessionId], 'logout');
  }

  /**
   * Ends every session of an account at once (disabled or demoted account, password change),
   * except `keep` (the session changing its own password); returns how many.
   */
  async revokeAllFor(kind: Principal['kind'], id: number, options: { keep?: string } = {}): Promise<number> {
    const ended = await this.ledger.endAllOf(kind, id, 'revoked', new Date(), options.keep);
    await this.store.end(ended, this.tombstoneTtlMs);
    return ended.length;
  }

  // the row first, then the live record: a refresh racing this cannot rotate an ended row, and
  // the tombstone stops one that rotated just before from publishing the session again
  private async endSessions(sessionIds: string[], reason: SessionEndReason): Promise<void> {
    await this.ledger.end(sessionIds, reason, new Date());
    await this.store.end(sessionIds, this.tombstoneTtlMs);
  }

  private get refreshTtlMs(): number {
    return this.config.refreshTtlS * 1000;
  }

  /** How long a live record lives from `now`: the refresh lifetime, cut at the session's absolute end. */
  private liveTtlMs(now: number, endsAt: number | null): number {
    return Math.max(1, Math.min(this.refreshTtlMs, (endsAt ?? Number.POSITIVE_INFINITY) - now));
  }

  /** Longer than any access token minted before a session ended can live. */
  private get tombstoneTtlMs(): number {
    return this.config.accessTtlS * 1000 + 60_000;
  }

  /** WeChat's session_key of a live session (decrypt and phone flows); null if none. */
  async wechatSessionKey(sessionId: string): Promise<string | null> {
    return (await this.store.get(sessionId))?.wechatSessionKey ?? null;
  }

  /**
   * Verifies a signed request of this session (see signed-request.ts), then claims its nonce:
   * after the signature, so a forger cannot burn a client's nonces.
   */
  async verifySignedRequest(request: FastifyRequest, sessionId: string): Promise<void> {
    const headers = {
      timestamp: headerValue(request.headers['x-timestamp']),
      nonce: headerValue(request.headers['x-nonce']),
      signature: headerValue(request.headers['x-signature']),
    };
    const session = await this.store.get(sessionId);
    if (!session) throw new AppError(AuthError.SessionEnded);
    const problem = checkSignature(request, headers, session.signKey);
    if (problem === 'missing') throw new AppError(AuthError.SignatureRequired);
    if (problem === 'stale') throw new AppError(AuthError.SignatureStale);
    if (problem === 'mismatch') throw new AppError(AuthError.SignatureMismatch);
    // a nonce must outlive the window in which its timestamp is accepted
    if (!(await this.store.claimNonce(sessionId, headers.nonce as string, 2 * SIGNATURE_WINDOW_MS))) {
      throw new AppError(AuthError.NonceReused);
    }
  }

  private accessTokenFor(kind: Principal['kind'], id: number, role: Role, sessionId: string) {
    const claims: Omit<AccessClaims, 'exp'> = { sub: String(id), role, sid: sessionId, typ: kind, jti: randomUUID() };
    return {
      accessToken: this.jwt.sign(claims, { algorithm: 'HS256', expiresIn: this.config.accessTtlS }),
      expiresIn: this.config.accessTtlS,
      tokenType: 'Bearer' as const,
    };
  }
}
