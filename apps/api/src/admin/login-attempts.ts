import type { Redis } from 'ioredis';

export interface LoginAttemptPolicy {
  /** Failures allowed per account within the window before it is locked. */
  perAccount: number;
  /** Failures allowed per client IP within the window (one IP trying many usernames). */
  perIp: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_ATTEMPT_POLICY: LoginAttemptPolicy = { perAccount: 5, perIp: 20, windowMs: 15 * 60_000 };

/**
 * Failed admin sign-ins counted per account and per IP over a window. Past either limit the
 * login answers 429 without checking the password until the window ends: no guessing, and
 * no argon2 work for an attacker. Redis in production (shared by instances), process when embedded.
 */
export interface LoginAttemptStore {
  /** Milliseconds until this account or IP may try again; 0 when not locked. */
  lockedFor(accountKey: string, ipKey: string, policy: LoginAttemptPolicy): Promise<number>;
  recordFailure(accountKey: string, ipKey: string, policy: LoginAttemptPolicy): Promise<void>;
  clear(accountKey: string): Promise<void>;
}

export class RedisLoginAttemptStore implements LoginAttemptStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async lockedFor(accountKey: string, ipKey: string, policy: LoginAttemptPolicy): Promise<number> {
    const [account, ip] = [`${this.prefix}${accountKey}`, `${this.prefix}${ipKey}`];
    const result = await this.redis.multi().get(account).pttl(account).get(ip).pttl(ip).exec();
    const value = (index: number) => (result?.[index]?.[1] as string | number | null) ?? null;
    const waits: number[] = [];
    if (Number(value(0) ?? 0) >= policy.perAccount) waits.push(Number(value(1)));
    if (Number(value(2) ?? 0) >= policy.perIp) waits.push(Number(value(3)));
    return Math.max(0, ...waits);
  }

  async recordFailure(accountKey: string, ipKey: string, policy: LoginAttemptPolicy): Promise<void> {
    const pipeline = this.redis.multi();
    for (const key of [`${this.prefix}${accountKey}`, `${this.prefix}${ipKey}`]) {
      // the window starts at the first failure (NX), it does not slide with each one
      pipeline.incr(key).pexpire(key, policy.windowMs, 'NX');
    }
    await pipeline.exec();
  }

  async clear(accountKey: string): Promise<void> {
    await this.redis.del(`${this.prefix}${accountKey}`);
  }
}

export class MemoryLoginAttemptStore implements LoginAttemptStore {
  private readonly counters = new Map<string, { count: number; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async lockedFor(accountKey: string, ipKey: string, policy: LoginAttemptPolicy): Promise<number> {
    const waits = [
      this.waitFor(accountKey, policy.perAccount),
      this.waitFor(ipKey, policy.perIp),
    ];
    return Math.max(0, ...waits);
  }

  async recordFailure(accountKey: string, ipKey: string, policy: LoginAttemptPolicy): Promise<void> {
    for (const key of [accountKey, ipKey]) {
      const entry = this.current(key);
      if (entry) entry.count += 1;
      else this.counters.set(key, { count: 1, until: this.now() + policy.windowMs });
    }
  }

  async clear(accountKey: string): Promise<void> {
    this.counters.delete(accountKey);
  }

  private waitFor(key: string, limit: number): number {
    const entry = this.current(key);
    return entry && entry.count >= limit ? entry.until - this.now() : 0;
  }

  private current(key: string) {
    const entry = this.counters.get(key);
    if (entry && entry.until <= this.now()) {
      this.counters.delete(key);
      return undefined;
    }
    return entry;
  }
}
