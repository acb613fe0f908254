import { SlidingWindowDecision, SlidingWindowStore } from './sliding-window';

interface KeyState {
  /** Timestamps of allowed requests, oldest first. */
  hits: number[];
  windowMs: number;
  blockedUntil: number;
}

/**
 * The embedded profile's limiter: same algorithm as the Redis script, one process only.
 * Idle keys are swept periodically so memory stays bounded by active callers.
 */
export class MemorySlidingWindowStore implements SlidingWindowStore {
  private readonly keys = new Map<string, KeyState>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly now: () => number = Date.now,
    sweepEveryMs = 10_000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  async hit(key: string, windowMs: number, limit: number, blockMs: number): Promise<SlidingWindowDecision> {
    const now = this.now();
    let state = this.keys.get(key);
    if (!state) {
      state = { hits: [], windowMs, blockedUntil: 0 };
      this.keys.set(key, state);
    }
    state.windowMs = windowMs;
    if (state.blockedUntil > now) {
      const blockedFor = state.blockedUntil - now;
      return { count: limit, allowed: false, resetMs: 0, blockedForMs: blockedFor };
    }
    const cutoff = now - windowMs;
    let expired = 0;
    while (expired < state.hits.length && state.hits[expired] <= cutoff) expired += 1;
    if (expired > 0) state.hits.splice(0, expired);

    if (state.hits.length < limit) {
      state.hits.push(now);
      return { count: state.hits.length, allowed: true, resetMs: state.hits[0] + windowMs - now, blockedForMs: 0 };
    }
    const resetMs = state.hits[0] + windowMs - now;
    if (blockMs > 0) state.blockedUntil = now + blockMs;
    return { count: state.hits.length, allowed: false, resetMs, blockedForMs: blockMs > 0 ? blockMs : 0 };
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, state] of this.keys) {
      const newest = state.hits[state.hits.length - 1] ?? 0;
      if (newest + state.windowMs <= now && state.blockedUntil <= now) this.keys.delete(key);
    }
  }
}
