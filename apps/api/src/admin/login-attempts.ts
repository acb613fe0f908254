import type { Redis } from 'ioredis';

export interface LoginAttemptPolicy {
  /** Attempts allowed per account within the window; beyond, it is locked until the window ends. */
  perAccount: number;
  /** Failed attempts allowed per client IP (IPv6: its /64) within the window (one IP trying many usernames). */
  perIp: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_ATTEMPT_POLICY: LoginAttemptPolicy = { perAccount: 5, perIp: 20, windowMs: 15 * 60_000 };

/**
 * Admin sign-in attempts counted per account and per IP over a window that starts at the first
 * one. Each attempt is counted, atomically, *before* its password is checked: checking a lock,
 * then verifying, then recording the failure let a burst of parallel guesses through (all of them
 * checked the lock before any was recorded: 8 of 10 were verified against a limit of 5). Past
 * either limit the login answers 429 without checking the password until the window ends: no
 * guessing, and no argon2 work for an attacker. A success forgets the account's attempts and
 * gives the IP its attempt back. Redis in production (shared by instances), process when embedded.
 */
export interface LoginAttemptStore {
  /**
   * Counts an attempt for the account and the IP; answers the milliseconds until either may try
   * again when this attempt is over a limit (refuse it), else 0 (go on and check the password).
   */
  begin(accountKey: string, ipKey: string, policy: LoginAttemptPolicy): Promise<number>;
  /** The attempt was a successful sign-in. */
  succeeded(accountKey: string, ipKey: string): Promise<void>;
}

// a success: the account starts over, and the IP's count (failures only) gets this attempt back,
// unless its window ended meanwhile (DECR would create a key without expiry)
const SUCCEEDED_SCRIPT = `
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('DECR', KEYS[2]) end
return 1`;

export class RedisLoginAttemptStore implements LoginAttemptStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async begin(accountKey: string, ipKey: string, policy: LoginAttemptPolicy): Promise<number> {
    const [account, ip] = [`${this.prefix}${accountKey}`, `${this.prefix}${ipKey}`];
    // MULTI/EXEC runs as one step: no other attempt is counted between these commands.
    // The window starts at the first attempt (NX), it does not slide with each one.
    const result = await this.redis
      .multi()
      .incr(account)
      .pexpire(account, policy.windowMs, 'NX')
      .pttl(account)
      .incr(ip)
      .pexpire(ip, policy.windowMs, 'NX')
      .pttl(ip)
      .exec();
    if (!result) throw new Error('login attempt count was discarded');
    const value = (index: number): number => {
      const [error, reply] = result[index];
      if (error) throw error;
      return Number(reply);
    };
    const waits: number[] = [];
    if (value(0) > policy.perAccount) waits.push(value(2));
    if (value(3) > policy.perIp) waits.push(value(5));
    return waits.length === 0 ? 0 : Math.max(1, ...waits);
  }

  async succeeded(accountKey: string, ipKey: string): Promise<void> {
    await this.redis.eval(SUCCEEDED_SCRIPT, 2, `${this.prefix}${accountKey}`, `${this.prefix}${ipKey}`);
  }
}

/** How often the in-process store drops the counters whose window has ended. */
const SWEEP_EVERY_MS = 60_000;

export class MemoryLoginAttemptStore implements LoginAttemptStore {
  private readonly counters = new Map<string, { count: number; until: number }>();
  private nextSweep: number;

  constructor(private readonly now: () => number = Date.now) {
    this.nextSweep = now() + SWEEP_EVERY_MS;
  }

  /** Counters held, ended windows included until the next sweep. */
  get size(): number {
    return this.counters.size;
  }

  // one process: nothing runs between these lines, so counting and deciding is one step
  async begin(accountKey: string, ipKey: string, policy: LoginAttemptPolicy): Promise<number> {
    const now = this.now();
    // IP keys of one-off visitors are never looked up again: without a sweep they would pile up
    if (now >= this.nextSweep) this.sweep(now);
    const account = this.count(accountKey, policy.windowMs, now);
    const ip = this.count(ipKey, policy.windowMs, now);
    const waits: number[] = [];
    if (account.count > policy.perAccount) waits.push(account.until - now);
    if (ip.count > policy.perIp) waits.push(ip.until - now);
    return waits.length === 0 ? 0 : Math.max(1, ...waits);
  }

  async succeeded(accountKey: string, ipKey: string): Promise<void> {
    this.counters.delete(accountKey);
    const ip = this.counters.get(ipKey);
    if (ip && ip.until > this.now()) ip.count = Math.max(0, ip.count - 1);
  }

  private count(key: string, windowMs: number, now: number): { count: number; until: number } {
    let entry = this.counters.get(key);
    if (!entry || entry.until <= now) {
      entry = { count: 0, until: now + windowMs };
      this.counters.set(key, entry);
    }
    entry.count += 1;
    return entry;
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.counters) if (entry.until <= now) this.counters.delete(key);
    this.nextSweep = now + SWEEP_EVERY_MS;
  }
}
