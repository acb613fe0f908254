import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type GuardedRedis, PASS_THROUGH, REDIS_FAILING_FAST } from '@app/redis';
import { SLIDING_WINDOW_BATCH_LUA, SlidingWindowDecision, SlidingWindowStore } from './sliding-window';

type BatchRedis = Redis & {
  /** numberOfKeys, then the keys, then the arguments (see SLIDING_WINDOW_BATCH_LUA). */
  slidingWindowBatch(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number[]>;
};

interface PendingCheck {
  key: string;
  windowMs: number;
  limit: number;
  blockMs: number;
  resolve: (decision: SlidingWindowDecision) => void;
  reject: (error: unknown) => void;
}

/** Bounds one script run, so a huge burst cannot hold Redis for long in a single call. */
const MAX_GROUPS_PER_CALL = 256;
/** Bounds one group, so a group's count stays a small integer in a member name. */
const MAX_CHECKS_PER_GROUP = 500;

/** Checks of one turn on the same key with the same settings, decided together. */
interface CheckGroup {
  key: string;
  windowMs: number;
  limit: number;
  blockMs: number;
  checks: PendingCheck[];
}

/**
 * Shared by every instance: all of them count against one Redis.
 *
 * Every check that arrives during one event-loop turn goes to Redis in a single EVALSHA
 * (flushed from setImmediate, i.e. right after the poll phase that parsed those requests),
 * and checks on the same key are folded into one group (see SLIDING_WINDOW_BATCH_LUA).
 * Under load one write and one read serve dozens of requests instead of one each: the
 * per-command cost in ioredis, the loopback/network syscalls and the script's own work
 * were the largest items of the request profile. An idle server sends batches of one
 * with no added delay. All keys of a batch go to one Redis node (a single primary, not
 * Redis Cluster).
 *
 * The batch, not each check, runs through the 'redis' circuit (`guard`): a stalled Redis opens it
 * with the first batch that times out, and while it is open a check fails at once (the guard lets
 * the request through, unlimited) instead of waiting out the command timeout.
 */
export class RedisSlidingWindowStore implements SlidingWindowStore {
  private readonly redis: BatchRedis;
  // unique per process, so two instances hitting in the same millisecond never collide
  private readonly instanceTag = randomBytes(4).toString('hex');
  private sequence = 0;
  private pending: PendingCheck[] = [];
  private flushScheduled = false;
  /** Script calls sent so far: tests read it to see batching happen. */
  scriptCalls = 0;

  constructor(
    redis: Redis,
    private readonly keyPrefix = 'rl:',
    private readonly guard: GuardedRedis = PASS_THROUGH,
  ) {
    if (!('slidingWindowBatch' in redis)) {
      // defineCommand sends EVALSHA and falls back to EVAL once when the script is not cached
      redis.defineCommand('slidingWindowBatch', { lua: SLIDING_WINDOW_BATCH_LUA });
    }
    this.redis = redis as BatchRedis;
  }

  hit(key: string, windowMs: number, limit: number, blockMs: number): Promise<SlidingWindowDecision> {
    if (this.guard.failingFast) return Promise.reject(REDIS_FAILING_FAST);
    return new Promise((resolve, reject) => {
      this.pending.push({ key, windowMs, limit, blockMs, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    // by key first (a route and caller), then settings: no key string is built per check
    const groupsByKey = new Map<string, CheckGroup[]>();
    const ordered: CheckGroup[] = [];
    for (const check of this.pending) {
      let sameKey = groupsByKey.get(check.key);
      if (!sameKey) groupsByKey.set(check.key, (sameKey = []));
      let group = sameKey.find(
        (candidate) =>
          candidate.windowMs === check.windowMs && candidate.limit === check.limit && candidate.blockMs === check.blockMs,
      );
      if (!group || group.checks.length >= MAX_CHECKS_PER_GROUP) {
        if (group) sameKey.splice(sameKey.indexOf(group), 1);
        group = { key: check.key, windowMs: check.windowMs, limit: check.limit, blockMs: check.blockMs, checks: [] };
        sameKey.push(group);
        ordered.push(group);
      }
      group.checks.push(check);
    }
    this.pending = [];
    for (let start = 0; start < ordered.length; start += MAX_GROUPS_PER_CALL) {
      void this.send(ordered.slice(start, start + MAX_GROUPS_PER_CALL));
    }
  }

  private async send(groups: CheckGroup[]): Promise<void> {
    const keys: string[] = [];
    const args: (string | number)[] = [];
    for (const group of groups) {
      const logKey = `${this.keyPrefix}${group.key}`;
      this.sequence = (this.sequence + 1) % 1_000_000_000;
      keys.push(logKey, `${logKey}:blocked`, `${logKey}:total`);
      args.push(group.windowMs, group.limit, group.blockMs, group.checks.length, `${this.instanceTag}:${this.sequence}`);
    }
    this.scriptCalls += 1;
    let reply: number[];
    try {
      reply = await this.guard.run(() => this.redis.slidingWindowBatch(keys.length, ...keys, ...args));
    } catch (error) {
      for (const group of groups) for (const check of group.checks) check.reject(error);
      return;
    }
    groups.forEach((group, index) => {
      const [countBefore, allowed, resetMs, blockedForMs] = reply.slice(index * 4, index * 4 + 4);
      const reset = Math.max(0, resetMs);
      // as if the group's checks had run one after the other: the first `allowed` pass
      group.checks.forEach((check, position) =>
        check.resolve(
          position < allowed
            ? { count: countBefore + position + 1, allowed: true, resetMs: reset, blockedForMs: 0 }
            : { count: countBefore + allowed, allowed: false, resetMs: reset, blockedForMs },
        ),
      );
    });
  }
}
