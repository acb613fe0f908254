import type { GuardedRedis } from '@app/redis';

/**
 * Stands in for the 'redis' circuit (what RedisService gives stores as GuardedRedis): counts the
 * calls run through it, and opens and closes when the test says so.
 */
export class FakeRedisCircuit implements GuardedRedis {
  failingFast = false;
  runs = 0;
  private readonly recoveredListeners: (() => void)[] = [];

  run<T>(commands: () => Promise<T>): Promise<T> {
    this.runs += 1;
    return commands();
  }

  onRecovered(listener: () => void): void {
    this.recoveredListeners.push(listener);
  }

  open(): void {
    this.failingFast = true;
  }

  close(): void {
    this.failingFast = false;
    for (const listener of this.recoveredListeners) listener();
  }
}
