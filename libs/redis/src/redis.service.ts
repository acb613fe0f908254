import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { RedisConfig } from './redis.config';

export const REDIS_CONFIG = Symbol('REDIS_CONFIG');

/**
 * Owns the process's shared Redis connection (null in the embedded profile). Commands
 * fail fast while Redis is unreachable instead of queueing: callers (cache, limiter)
 * decide how to degrade, and a request never hangs on a dead Redis.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  readonly client: Redis | null;
  private readonly extraClients: Redis[] = [];

  constructor(@Inject(REDIS_CONFIG) private readonly config: RedisConfig) {
    this.client = config.url ? this.createClient(config.url, 'main') : null;
  }

  get enabled(): boolean {
    return this.client !== null;
  }

  /**
   * The store implementation for this profile: the Redis-backed one (shared by every instance),
   * or the in-process stand-in when the embedded profile has no Redis. Every store with both
   * implementations is chosen here, so the two profiles cannot drift in how they decide.
   */
  storeFor<T>(shared: (client: Redis) => T, inProcess: () => T): T {
    return this.client ? shared(this.client) : inProcess();
  }

  /** A further connection for blocking or subscriber use (pub/sub, queues); closed with the app. */
  duplicate(name: string): Redis {
    if (!this.config.url) throw new Error('Redis is not configured in the embedded profile');
    const client = this.createClient(this.config.url, name);
    this.extraClients.push(client);
    return client;
  }

  /** Resolves once connected; rejects after the connect timeout so boot fails with a clear message. */
  async waitUntilReady(): Promise<void> {
    const client = this.client;
    if (!client || client.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Redis at ${redactUrl(this.config.url)} did not answer within ${this.config.connectTimeoutMs} ms`));
      }, this.config.connectTimeoutMs);
      const onReady = (): void => {
        cleanup();
        resolve();
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        client.off('ready', onReady);
      };
      client.on('ready', onReady);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const clients = [this.client, ...this.extraClients].filter((client): client is Redis => client !== null);
    await Promise.all(
      clients.map(async (client) => {
        try {
          await client.quit();
        } catch {
          client.disconnect();
        }
      }),
    );
  }

  private createClient(url: string, name: string): Redis {
    const client = new Redis(url, {
      connectionName: `wxmp-api:${name}`,
      connectTimeout: this.config.connectTimeoutMs,
      commandTimeout: this.config.commandTimeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // reconnect forever with capped backoff: Redis coming back must heal the pod on its own
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    });
    let reportedDown = false;
    client.on('error', (error: Error) => {
      if (!reportedDown) this.logger.warn({ err: error.message, connection: name }, 'Redis connection error');
      reportedDown = true;
    });
    client.on('ready', () => {
      if (reportedDown) this.logger.log({ connection: name }, 'Redis connection restored');
      reportedDown = false;
    });
    return client;
  }
}

export function redactUrl(url: string | null): string {
  if (!url) return '(none)';
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}
