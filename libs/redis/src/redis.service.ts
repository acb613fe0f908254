import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { FailFastRedis } from './fail-fast-redis';
import type { RedisConfig } from './redis.config';

export const REDIS_CONFIG = Symbol('REDIS_CONFIG');

/**
 * Reaching Redis through the process's one 'redis' circuit. RedisService implements it; stores
 * take it as a constructor argument (PASS_THROUGH in tests and where no circuit is wanted).
 */
export interface GuardedRedis {
  /** True while the circuit is open or trying Redis again: callers that can degrade do so without asking. */
  readonly failingFast: boolean;
  /**
   * Runs commands through the circuit, so that their timeouts and failures open it. Put it around
   * a batch (one call per event-loop turn), not around each command of a hot path.
   */
  run<T>(commands: () => Promise<T>): Promise<T>;
  /** Called each time the circuit closes again: replay what could not be written meanwhile. */
  onRecovered(listener: () => void): void;
}

/** No circuit: commands run as they are (unit tests, callers built before the app has one). */
export const PASS_THROUGH: GuardedRedis = {
  failingFast: false,
  run: (commands) => commands(),
  onRecovered: () => undefined,
};

/**
 * What libs/resilience installs (RedisCircuit, around a CircuitBreakerRegistry breaker): libs/redis
 * sits below it and cannot import it. Errors come back as RedisError AppErrors (503/504), or as
 * thrown when they are not Redis failing (a bug).
 */
export interface RedisCircuitPort {
  run<T>(commands: () => Promise<T>): Promise<T>;
}

/**
 * Owns the process's shared Redis connection (null in the embedded profile). Commands
 * fail fast while Redis is unreachable instead of queueing: callers (cache, limiter)
 * decide how to degrade, and a request never hangs on a dead Redis. A *stalled* Redis
 * (connected, not answering) is the circuit's job: once a command timed out, every command
 * is refused at once until a trial PING succeeds (RedisCircuit in libs/resilience, ADR 0023).
 */
@Injectable()
export class RedisService implements OnApplicationShutdown, GuardedRedis {
  private readonly logger = new Logger(RedisService.name);
  readonly client: FailFastRedis | null;
  private readonly extraClients: Redis[] = [];
  private circuit: RedisCircuitPort | null = null;
  private readonly recoveredListeners: (() => void)[] = [];

  constructor(@Inject(REDIS_CONFIG) private readonly config: RedisConfig) {
    this.client = config.url ? this.createClient(config.url, 'main') : null;
  }

  get failingFast(): boolean {
    return this.client !== null && this.client.failingFast;
  }

  /**
   * Called by the circuit on each state change: while set, every command on the shared connection
   * is refused at once (FailFastRedis), whoever sends it.
   */
  setFailingFast(failingFast: boolean): void {
    if (!this.client || this.client.failingFast === failingFast) return;
    this.client.failingFast = failingFast;
    if (!failingFast) for (const listener of this.recoveredListeners) listener();
  }

  /** Installs the circuit that run() goes through (once, at boot). */
  useCircuit(circuit: RedisCircuitPort): void {
    this.circuit = circuit;
  }

  run<T>(commands: () => Promise<T>): Promise<T> {
    return this.circuit ? this.circuit.run(commands) : commands();
  }

  onRecovered(listener: () => void): void {
    this.recoveredListeners.push(listener);
  }

  /** PING past the fail-fast gate: the circuit's trial call while it is half-open. */
  async trialPing(): Promise<void> {
    if (!this.client) return;
    await this.client.trialPing();
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

  private createClient(url: string, name: string): FailFastRedis {
    const client = new FailFastRedis(url, {
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
