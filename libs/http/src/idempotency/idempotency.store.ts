import type { Redis } from 'ioredis';

/** A response as sent: replayed byte for byte to a duplicate request. */
export interface StoredResponse {
  status: number;
  body: string;
}

export type BeginResult =
  | { state: 'started' }
  | { state: 'in_progress' }
  | { state: 'mismatch' }
  | { state: 'completed'; response: StoredResponse };

interface Entry {
  fingerprint: string;
  response?: StoredResponse;
}

/**
 * Remembers Idempotency-Keys: the first request claims the key (with a lock TTL so a
 * crashed instance does not hold it forever), completion stores the response for replay.
 */
export interface IdempotencyStore {
  begin(key: string, fingerprint: string, lockTtlMs: number): Promise<BeginResult>;
  complete(key: string, fingerprint: string, response: StoredResponse, ttlMs: number): Promise<void>;
  /** Forget a claim whose request failed in a way the client should retry (5xx). */
  release(key: string): Promise<void>;
}

function interpret(existing: Entry, fingerprint: string): BeginResult {
  if (existing.fingerprint !== fingerprint) return { state: 'mismatch' };
  return existing.response ? { state: 'completed', response: existing.response } : { state: 'in_progress' };
}

/** Shared by all instances. One round trip to claim: SET NX with GET (Redis ≥ 7). */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix = 'idem:',
  ) {}

  async begin(key: string, fingerprint: string, lockTtlMs: number): Promise<BeginResult> {
    const claim: Entry = { fingerprint };
    const previous = await this.redis.call('SET', this.keyPrefix + key, JSON.stringify(claim), 'NX', 'PX', lockTtlMs, 'GET');
    if (previous === null) return { state: 'started' };
    return interpret(JSON.parse(String(previous)) as Entry, fingerprint);
  }

  async complete(key: string, fingerprint: string, response: StoredResponse, ttlMs: number): Promise<void> {
    const entry: Entry = { fingerprint, response };
    await this.redis.set(this.keyPrefix + key, JSON.stringify(entry), 'PX', ttlMs);
  }

  async release(key: string): Promise<void> {
    await this.redis.del(this.keyPrefix + key);
  }
}

/** The embedded profile's store: one process, same semantics. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry & { expiresAt: number }>();

  async begin(key: string, fingerprint: string, lockTtlMs: number): Promise<BeginResult> {
    const now = Date.now();
    const existing = this.entries.get(key);
    if (existing && existing.expiresAt > now) return interpret(existing, fingerprint);
    this.sweep(now);
    this.entries.set(key, { fingerprint, expiresAt: now + lockTtlMs });
    return { state: 'started' };
  }

  async complete(key: string, fingerprint: string, response: StoredResponse, ttlMs: number): Promise<void> {
    this.entries.set(key, { fingerprint, response, expiresAt: Date.now() + ttlMs });
  }

  async release(key: string): Promise<void> {
    this.entries.delete(key);
  }

  private sweep(now: number): void {
    if (this.entries.size < 10_000) return;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
