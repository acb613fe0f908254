import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { type GuardedRedis, PASS_THROUGH, REDIS_FAILING_FAST } from '@app/redis';

/**
 * What every authenticated request needs to know about a session, fast: that it is alive, and
 * the server-side secrets that go with it. Rebuildable from the `auth_sessions` table except the
 * secrets: a lost signKey is replaced at the next refresh, a lost WeChat session_key means the
 * user logs in with WeChat again before decrypting open data.
 */
export interface LiveSession {
  sessionId: string;
  kind: 'user' | 'admin';
  subjectId: number;
  role: string;
  /** Per-session HMAC key for signed requests, handed to the client at login and refresh. */
  signKey: string;
  /** WeChat's session_key for decrypt/phone flows: server-side only, never returned or logged. */
  wechatSessionKey: string | null;
  /**
   * The session's absolute end (epoch ms): a renewal never keeps the record past it, so access
   * tokens stop there too. Null for records written before sessions had one.
   */
  endsAt: number | null;
}

/**
 * The "session alive" records: Redis in production (every instance sees a logout at once), the
 * process in the embedded profile. Ending a session leaves a short tombstone so that a refresh
 * that won its database compare-and-set just before the logout cannot publish the session again.
 */
export interface SessionStore {
  /** Publishes or renews a live session for `ttlMs`; false (nothing written) when it was ended. */
  put(session: LiveSession, ttlMs: number): Promise<boolean>;
  get(sessionId: string): Promise<LiveSession | null>;
  /**
   * Extends a live session to `ttlMs` from `now` (never past its `endsAt`) and returns it; null
   * when there is none (lost or ended).
   */
  renew(sessionId: string, ttlMs: number, now?: number): Promise<LiveSession | null>;
  /** Asked on every authenticated request. Rejects at once while Redis is known to be down. */
  isAlive(sessionId: string): Promise<boolean>;
  /**
   * Ends sessions at once; their tombstones live `tombstoneTtlMs` (at least an access token's life).
   * Never throws: when Redis cannot be reached the ending is replayed as soon as it answers again
   * (the rows, ended first, keep the sessions dead meanwhile: see AuthSessionService.isAlive).
   */
  end(sessionIds: readonly string[], tombstoneTtlMs: number): Promise<void>;
  /** Records a signed request's nonce; false when the session used it before (a replay). */
  claimNonce(sessionId: string, nonce: string, ttlMs: number): Promise<boolean>;
}

// KEYS: session hash, tombstone. ARGV: ttl ms, then field/value pairs
const PUT_LUA = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;

// KEYS: session hash, tombstone. ARGV: ttl ms, now (epoch ms). Returns the fields, or nil.
const RENEW_LUA = `
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return false end
local expireAt = tonumber(ARGV[2]) + tonumber(ARGV[1])
local endsAt = tonumber(redis.call('HGET', KEYS[1], 'endsAt'))
if endsAt and endsAt < expireAt then expireAt = endsAt end
redis.call('PEXPIREAT', KEYS[1], expireAt)
return fields
`;

// KEYS: session hashes. Returns 1 or 0 per key, in order.
const ALIVE_LUA = `
local alive = {}
for i, key in ipairs(KEYS) do alive[i] = redis.call('EXISTS', key) end
return alive
`;

/** Bounds one script run, so a huge turn cannot hold Redis for long in a single call. */
const MAX_ALIVE_KEYS_PER_CALL = 500;
/** Endings remembered for replay while Redis is down; beyond this they are only in the rows. */
const MAX_PENDING_ENDS = 10_000;
const MAX_ENDS_PER_REPLAY = 500;

type SessionRedis = Redis & {
  /** numberOfKeys, then the session keys (see ALIVE_LUA). */
  authSessionsAlive(numberOfKeys: number, ...keys: string[]): Promise<number[]>;
  authSessionPut(sessionKey: string, tombstoneKey: string, ttlMs: number, ...fields: string[]): Promise<number>;
  authSessionRenew(sessionKey: string, tombstoneKey: string, ttlMs: number, now: number): Promise<string[] | null>;
};

function toLiveSession(sessionId: string, fields: Record<string, string>): LiveSession | null {
  if (!fields.kind) return null;
  return {
    sessionId,
    kind: fields.kind as LiveSession['kind'],
    subjectId: Number(fields.subjectId),
    role: fields.role,
    signKey: fields.signKey,
    wechatSessionKey: fields.wechatSessionKey ?? null,
    endsAt: fields.endsAt ? Number(fields.endsAt) : null,
  };
}

/**
 * Writes (put, renew, end) and the per-turn liveness batch run through the 'redis' circuit
 * (`guard`), so a stalled Redis opens it and later calls fail at once; reads of secrets (get,
 * claimNonce) are refused at once by the connection while it is open.
 */
export class RedisSessionStore implements SessionStore {
  private readonly redis: SessionRedis;
  private readonly logger = new Logger('Auth');
  private pendingAlive: { key: string; resolve: (alive: boolean) => void; reject: (error: unknown) => void }[] = [];
  /** Session id → tombstone ttl of endings Redis did not take; replayed when it answers again. */
  private readonly pendingEnds = new Map<string, number>();
  private replaying = false;
  private overflowReported = false;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly guard: GuardedRedis = PASS_THROUGH,
  ) {
    // defineCommand sends EVALSHA and falls back to EVAL once when the script is not cached
    if (!('authSessionPut' in redis)) redis.defineCommand('authSessionPut', { numberOfKeys: 2, lua: PUT_LUA });
    if (!('authSessionRenew' in redis)) redis.defineCommand('authSessionRenew', { numberOfKeys: 2, lua: RENEW_LUA });
    if (!('authSessionsAlive' in redis)) redis.defineCommand('authSessionsAlive', { lua: ALIVE_LUA });
    this.redis = redis as SessionRedis;
    // a stalled Redis comes back without reconnecting (the circuit closes); a dead one reconnects
    guard.onRecovered(() => void this.replayEnds());
    redis.on('ready', () => void this.replayEnds());
  }

  private sessionKey = (sessionId: string) => `${this.prefix}sess:${sessionId}`;
  private tombstoneKey = (sessionId: string) => `${this.prefix}ended:${sessionId}`;

  async put(session: LiveSession, ttlMs: number): Promise<boolean> {
    const fields = ['kind', session.kind, 'subjectId', String(session.subjectId), 'role', session.role, 'signKey', session.signKey];
    if (session.wechatSessionKey) fields.push('wechatSessionKey', session.wechatSessionKey);
    if (session.endsAt !== null) fields.push('endsAt', String(session.endsAt));
    const written = await this.guard.run(() =>
      this.redis.authSessionPut(this.sessionKey(session.sessionId), this.tombstoneKey(session.sessionId), Math.max(1, Math.ceil(ttlMs)), ...fields),
    );
    return written === 1;
  }

  async get(sessionId: string): Promise<LiveSession | null> {
    return toLiveSession(sessionId, await this.redis.hgetall(this.sessionKey(sessionId)));
  }

  async renew(sessionId: string, ttlMs: number, now = Date.now()): Promise<LiveSession | null> {
    const flat = await this.guard.run(() =>
      this.redis.authSessionRenew(this.sessionKey(sessionId), this.tombstoneKey(sessionId), Math.max(1, Math.ceil(ttlMs)), now),
    );
    if (!flat) return null;
    const fields: Record<string, string> = {};
    for (let index = 0; index + 1 < flat.length; index += 2) fields[flat[index]] = flat[index + 1];
    return toLiveSession(sessionId, fields);
  }

  /**
   * Asked on every authenticated request, so the checks of one event-loop turn go to Redis as
   * one script call (one write, one read, as the rate limiter does) instead of a round trip each.
   * One script rather than a pipeline of EXISTS: ioredis allocates a command object, a promise
   * and argument arrays per pipelined command, and under load those waited long enough to be
   * promoted to old space, most of what a users/me load promoted (performance note 0019). All keys go to
   * one Redis node (a single primary, not Redis Cluster), as for the limiter.
   */
  isAlive(sessionId: string): Promise<boolean> {
    if (this.guard.failingFast) return Promise.reject(REDIS_FAILING_FAST);
    return new Promise((resolve, reject) => {
      if (this.pendingAlive.push({ key: this.sessionKey(sessionId), resolve, reject }) === 1) {
        setImmediate(() => this.flushAlive());
      }
    });
  }

  private flushAlive(): void {
    const checks = this.pendingAlive;
    this.pendingAlive = [];
    for (let start = 0; start < checks.length; start += MAX_ALIVE_KEYS_PER_CALL) {
      const part = checks.slice(start, start + MAX_ALIVE_KEYS_PER_CALL);
      this.guard.run(() => this.redis.authSessionsAlive(part.length, ...part.map((check) => check.key))).then(
        (alive) => part.forEach((check, index) => check.resolve(alive[index] === 1)),
        (error: unknown) => part.forEach((check) => check.reject(error)),
      );
    }
  }

  async end(sessionIds: readonly string[], tombstoneTtlMs: number): Promise<void> {
    if (sessionIds.length === 0) return;
    try {
      await this.guard.run(async () => {
        const transaction = this.redis.multi();
        for (const sessionId of sessionIds) {
          transaction.del(this.sessionKey(sessionId)).set(this.tombstoneKey(sessionId), '1', 'PX', tombstoneTtlMs);
        }
        const results = await transaction.exec();
        const failed = results?.find(([error]) => error)?.[0];
        if (failed) throw failed;
      });
    } catch (error) {
      this.deferEnds(sessionIds, tombstoneTtlMs, error);
    }
  }

  // one line when the queue starts, one if it overflows; not one per session
  private deferEnds(sessionIds: readonly string[], tombstoneTtlMs: number, error: unknown): void {
    if (this.pendingEnds.size === 0) {
      this.logger.warn({ err: (error as Error).message }, 'ending sessions in Redis failed: ended in the database, replayed when Redis answers');
    }
    for (const sessionId of sessionIds) {
      if (this.pendingEnds.size >= MAX_PENDING_ENDS) {
        if (!this.overflowReported) {
          this.overflowReported = true;
          this.logger.warn({ max: MAX_PENDING_ENDS }, 'session end replay queue full: further sessions stay live in Redis until their access tokens expire');
        }
        return;
      }
      this.pendingEnds.set(sessionId, tombstoneTtlMs);
    }
  }

  private async replayEnds(): Promise<void> {
    if (this.replaying || this.pendingEnds.size === 0) return;
    this.replaying = true;
    try {
      const byTtl = new Map<number, string[]>();
      for (const [sessionId, ttl] of this.pendingEnds) {
        const ids = byTtl.get(ttl);
        if (ids) ids.push(sessionId);
        else byTtl.set(ttl, [sessionId]);
      }
      this.pendingEnds.clear();
      this.overflowReported = false;
      // a failure queues them again through end()
      for (const [ttl, ids] of byTtl) {
        for (let start = 0; start < ids.length; start += MAX_ENDS_PER_REPLAY) await this.end(ids.slice(start, start + MAX_ENDS_PER_REPLAY), ttl);
      }
    } finally {
      this.replaying = false;
    }
  }

  async claimNonce(sessionId: string, nonce: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}nonce:${sessionId}:${nonce}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
  }
}

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

/** The embedded profile's live sessions: same rules, one process. */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Expiring<LiveSession>>();
  private readonly tombstones = new Map<string, number>();
  private readonly nonces = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async put(session: LiveSession, ttlMs: number): Promise<boolean> {
    const endedUntil = this.tombstones.get(session.sessionId);
    if (endedUntil !== undefined && endedUntil > this.now()) return false;
    this.sweep();
    this.sessions.set(session.sessionId, { value: { ...session }, expiresAt: this.now() + ttlMs });
    return true;
  }

  async get(sessionId: string): Promise<LiveSession | null> {
    const entry = this.sessions.get(sessionId);
    if (!entry) return null;
    if (entry.expiresAt <= this.now()) {
      this.sessions.delete(sessionId);
      return null;
    }
    return { ...entry.value };
  }

  async renew(sessionId: string, ttlMs: number, now = this.now()): Promise<LiveSession | null> {
    const entry = this.sessions.get(sessionId);
    if (!entry || entry.expiresAt <= this.now()) return null;
    entry.expiresAt = Math.min(now + ttlMs, entry.value.endsAt ?? Number.POSITIVE_INFINITY);
    return { ...entry.value };
  }

  async isAlive(sessionId: string): Promise<boolean> {
    return (await this.get(sessionId)) !== null;
  }

  async end(sessionIds: readonly string[], tombstoneTtlMs: number): Promise<void> {
    for (const sessionId of sessionIds) {
      this.sessions.delete(sessionId);
      this.tombstones.set(sessionId, this.now() + tombstoneTtlMs);
    }
  }

  async claimNonce(sessionId: string, nonce: string, ttlMs: number): Promise<boolean> {
    const key = `${sessionId}:${nonce}`;
    const now = this.now();
    const seenUntil = this.nonces.get(key);
    if (seenUntil !== undefined && seenUntil > now) return false;
    if (this.nonces.size > 100_000) for (const [k, until] of this.nonces) if (until <= now) this.nonces.delete(k);
    this.nonces.set(key, now + ttlMs);
    return true;
  }

  private lastSweep = 0;

  // expired entries go (at most once a minute) when a map has grown, so a long-running dev server stays small
  private sweep(): void {
    const now = this.now();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    if (this.sessions.size >= 10_000) for (const [key, entry] of this.sessions) if (entry.expiresAt <= now) this.sessions.delete(key);
    if (this.tombstones.size >= 10_000) for (const [key, until] of this.tombstones) if (until <= now) this.tombstones.delete(key);
  }
}
