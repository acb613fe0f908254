import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SessionLedger } from './session.ledger';

/** Ended and expired sessions stay this long after their expiry (support, security reviews). */
export const SESSION_RETENTION_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 60 * 60_000;
const BATCH = 500;
const MAX_BATCHES_PER_RUN = 20;

/**
 * Deletes `auth_sessions` rows a week after they expired, in small batches once an hour. Every
 * instance runs it (with a random start so they spread out); deleting is idempotent, so no lock.
 */
@Injectable()
export class SessionPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SessionPruner');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly ledger: SessionLedger) {}

  onApplicationBootstrap(): void {
    const firstRunInMs = 60_000 + Math.floor(Math.random() * PRUNE_EVERY_MS);
    this.timer = setTimeout(() => this.tick(), firstRunInMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private tick(): void {
    this.running = this.pruneExpired()
      .then((deleted) => {
        if (deleted > 0) this.logger.log({ deleted }, 'expired sessions pruned');
      })
      .catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'pruning expired sessions failed'))
      .finally(() => {
        this.running = null;
        if (this.timer) {
          this.timer = setTimeout(() => this.tick(), PRUNE_EVERY_MS);
          this.timer.unref();
        }
      });
  }

  /** Deletes rows that expired more than SESSION_RETENTION_MS ago; returns how many. */
  async pruneExpired(now = Date.now()): Promise<number> {
    const before = new Date(now - SESSION_RETENTION_MS);
    let deleted = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch += 1) {
      const count = await this.ledger.prune(before, BATCH);
      deleted += count;
      if (count < BATCH) break;
    }
    return deleted;
  }
}
