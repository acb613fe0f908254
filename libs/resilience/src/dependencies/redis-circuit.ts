import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppError } from '@app/http';
import { type RedisCircuitPort, type RedisConfig, RedisService } from '@app/redis';
import { CircuitBreakerRegistry } from '../circuit-breaker/circuit-breaker.registry';
import type { CircuitState } from '../circuit-breaker/circuit-breaker.metrics';
import type { DependencyBreaker } from '../circuit-breaker/dependency-breaker';
import { ResilienceError } from '../resilience.errors';
import { classifyRedisError, isRedisRefusal } from './redis-error.classifier';
import { RedisError } from './redis.errors';

/** The breaker's errors as Redis errors: open → 503 (7040), timeout → 504 (7041), a Redis failure → its class, a bug → as thrown. */
function asRedisError(error: AppError): never {
  if (error.definition === ResilienceError.CircuitOpen) throw new AppError(RedisError.Unavailable, { cause: error.cause });
  if (error.definition === ResilienceError.DependencyTimeout) throw new AppError(RedisError.Timeout, { cause: error.cause });
  const definition = classifyRedisError(error.cause);
  if (definition) throw new AppError(definition, { cause: error.cause });
  throw error.cause;
}


/**
 * The process's one 'redis' circuit (CircuitBreakerRegistry.for('redis')), installed into
 * RedisService so that every caller shares it, in whatever lib it lives:
 * - the per-turn batches of the hot paths (rate limiter, session check) and the cache's reads run
 *   through it (`redis.run(...)`), so a timeout or a failure opens it at once (one failure is
 *   enough: Redis answers in well under a millisecond, so a command that waited out the whole
 *   command timeout means Redis is stalled or gone). A reply refusing a wrong command (WRONGTYPE,
 *   ERR) is an answer: it passes through as thrown and does not count;
 * - while it is open or half-open, RedisService refuses every command at once (FailFastRedis),
 *   and callers that can degrade skip Redis without asking (`redis.failingFast`);
 * - after REDIS_CIRCUIT_COOLDOWN_MS it goes half-open and this class sends the trial call itself,
 *   a PING in the background, so no request ever waits on a trial; the PING answering closes it.
 *
 * Timeouts are the command timeout (REDIS_COMMAND_TIMEOUT_MS), so a call is bounded exactly as
 * before. Embedded profile: no Redis, no circuit.
 */
@Injectable()
export class RedisCircuit implements RedisCircuitPort {
  private readonly breaker: DependencyBreaker | null;

  constructor(
    registry: CircuitBreakerRegistry,
    private readonly redis: RedisService,
    configService: ConfigService,
  ) {
    if (!redis.enabled) {
      this.breaker = null;
      return;
    }
    const config = configService.getOrThrow<RedisConfig>('redis');
    this.breaker = registry.for('redis', {
      timeoutMs: config.commandTimeoutMs,
      resetTimeoutMs: config.circuitCooldownMs,
      consecutiveFailures: 1,
    });
    this.breaker.treatAsAnswer(isRedisRefusal);
    this.breaker.logTrialsAsSummary();
    this.breaker.onStateChange((state) => this.stateChanged(state));
    redis.useCircuit(this);
  }

  get state(): CircuitState {
    return this.breaker?.state ?? 'closed';
  }

  run<T>(commands: () => Promise<T>): Promise<T> {
    if (!this.breaker) return commands();
    // run(), not execute(): a Redis command cannot be cancelled, and this is once per turn on hot paths
    return this.breaker.run(commands, asRedisError);
  }

  private stateChanged(state: CircuitState): void {
    this.redis.setFailingFast(state !== 'closed');
    // synchronously, inside the transition: the PING takes the one trial slot before any request can
    if (state === 'halfOpen') void this.probe();
  }

  private async probe(): Promise<void> {
    try {
      await this.breaker?.run(() => this.redis.trialPing());
    } catch {
      // the circuit reopened; DependencyBreaker logs it (as a summary while the outage lasts)
    }
  }
}
