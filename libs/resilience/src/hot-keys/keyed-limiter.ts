/**
 * At most `perKey` runs at once per key in this process; later callers wait in line in memory.
 * For a hot row every caller would lock anyway (a SKU in a flash sale): a short line here keeps
 * the waiting out of the database pool, where it would hold connections and time out other
 * work, and lets a caller look again (sold out?) once its turn comes. Keys with no runner and
 * no waiter take no memory.
 */
export class KeyedLimiter<K> {
  private readonly lanes = new Map<K, { running: number; waiting: Array<() => void> }>();

  constructor(private readonly perKey: number) {
    if (!Number.isInteger(perKey) || perKey < 1) throw new Error('perKey must be an integer >= 1');
  }

  /** Runs `work` holding one slot of each key (taken in the order given: sort keys to avoid lock-order waits). */
  async run<T>(keys: readonly K[], work: () => Promise<T>): Promise<T> {
    const held: K[] = [];
    try {
      for (const key of keys) {
        await this.acquire(key);
        held.push(key);
      }
      return await work();
    } finally {
      for (const key of held) this.release(key);
    }
  }

  /** Callers running or waiting for a key (for tests and metrics). */
  load(key: K): number {
    const lane = this.lanes.get(key);
    return lane ? lane.running + lane.waiting.length : 0;
  }

  private async acquire(key: K): Promise<void> {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { running: 0, waiting: [] };
      this.lanes.set(key, lane);
    }
    if (lane.running < this.perKey) {
      lane.running += 1;
      return;
    }
    // the slot is handed over by release(): running stays counted for the waiter
    await new Promise<void>((resolve) => lane.waiting.push(resolve));
  }

  private release(key: K): void {
    const lane = this.lanes.get(key);
    if (!lane) return;
    const next = lane.waiting.shift();
    if (next) {
      next();
      return;
    }
    lane.running -= 1;
    if (lane.running === 0) this.lanes.delete(key);
  }
}

/**
 * "This key was found exhausted less than `ttlMs` ago", per process: lets the losers of a flash
 * sale get their answer without asking the database. Stale by at most `ttlMs` after stock comes
 * back on another instance; `forget` clears it at once on this one.
 */
export class ExhaustedKeys<K> {
  private readonly until = new Map<K, number>();

  constructor(private readonly ttlMs: number) {}

  mark(key: K, now = Date.now()): void {
    this.until.set(key, now + this.ttlMs);
  }

  has(key: K, now = Date.now()): boolean {
    const expiry = this.until.get(key);
    if (expiry === undefined) return false;
    if (expiry > now) return true;
    this.until.delete(key);
    return false;
  }

  forget(key: K): void {
    this.until.delete(key);
  }
}
