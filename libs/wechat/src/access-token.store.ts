import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface StoredAccessToken {
  token: string;
  /** Epoch ms at which WeChat stops accepting it. */
  expiresAt: number;
}

/**
 * Where the app's access token lives. In production it is Redis, shared by every instance
 * (WeChat allows a limited number of token fetches a day, and a forced refresh invalidates
 * the token other instances hold); in the embedded profile, the process.
 */
export interface AccessTokenStore {
  get(): Promise<StoredAccessToken | null>;
  set(value: StoredAccessToken): Promise<void>;
  /** A lock so one instance fetches while the others wait; returns a release function, or null. */
  tryLock(ttlMs: number): Promise<(() => Promise<void>) | null>;
}

// compare-and-delete: release only our own lock, never one that expired and was taken by another
const RELEASE_LOCK_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export class RedisAccessTokenStore implements AccessTokenStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async get(): Promise<StoredAccessToken | null> {
    const raw = await this.redis.get(this.key);
    if (!raw) return null;
    try {
      const value = JSON.parse(raw) as StoredAccessToken;
      return typeof value.token === 'string' && typeof value.expiresAt === 'number' ? value : null;
    } catch {
      return null;
    }
  }

  async set(value: StoredAccessToken): Promise<void> {
    const ttlMs = Math.max(1, value.expiresAt - Date.now());
    await this.redis.set(this.key, JSON.stringify(value), 'PX', ttlMs);
  }

  async tryLock(ttlMs: number): Promise<(() => Promise<void>) | null> {
    const lockKey = `${this.key}:lock`;
    const owner = randomBytes(12).toString('hex');
    const acquired = await this.redis.set(lockKey, owner, 'PX', ttlMs, 'NX');
    if (acquired !== 'OK') return null;
    return async () => {
      await this.redis.eval(RELEASE_LOCK_LUA, 1, lockKey, owner);
    };
  }
}

export class MemoryAccessTokenStore implements AccessTokenStore {
  private value: StoredAccessToken | null = null;
  private locked = false;

  async get(): Promise<StoredAccessToken | null> {
    return this.value;
  }

  async set(value: StoredAccessToken): Promise<void> {
    this.value = value;
  }

  async tryLock(): Promise<(() => Promise<void>) | null> {
    if (this.locked) return null;
    this.locked = true;
    return async () => {
      this.locked = false;
    };
  }
}
