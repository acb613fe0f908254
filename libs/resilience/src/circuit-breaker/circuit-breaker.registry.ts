import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { CircuitBreakerConfig, CircuitBreakerOptions } from './circuit-breaker.config';
import { CIRCUIT_METRICS, type CircuitMetrics } from './circuit-breaker.metrics';
import { DependencyBreaker } from './dependency-breaker';

const OPTION_KEYS: ReadonlyArray<keyof CircuitBreakerOptions> = [
  'timeoutMs',
  'errorThresholdPercent',
  'volumeThreshold',
  'resetTimeoutMs',
  'rollingWindowMs',
  'consecutiveFailures',
];

/**
 * One circuit per dependency for the whole process:
 * `private readonly wechat = this.breakers.for('wechat', { timeoutMs: 2000 })`, then
 * `await this.wechat.execute((signal) => fetch(url, { signal }))`.
 */
@Injectable()
export class CircuitBreakerRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger('CircuitBreaker');
  private readonly breakers = new Map<string, DependencyBreaker>();
  private readonly conflictsReported = new Set<string>();
  private readonly defaults: CircuitBreakerConfig;

  constructor(
    configService: ConfigService,
    @Inject(CIRCUIT_METRICS) private readonly metrics: CircuitMetrics,
  ) {
    this.defaults = configService.getOrThrow<CircuitBreakerConfig>('circuitBreaker');
  }

  /**
   * The breaker of `name`, created on first use with the environment's defaults and `overrides`.
   * Call sites naming the same dependency share one circuit, so they must agree on its options.
   */
  for(name: string, overrides: Partial<CircuitBreakerOptions> = {}): DependencyBreaker {
    const options = { ...this.defaults, ...overrides };
    const existing = this.breakers.get(name);
    if (!existing) {
      const breaker = new DependencyBreaker(name, options, this.metrics);
      this.breakers.set(name, breaker);
      return breaker;
    }
    if (OPTION_KEYS.some((key) => existing.options[key] !== options[key]) && !this.conflictsReported.has(name)) {
      this.conflictsReported.add(name);
      this.logger.warn(
        { circuit: name, inUse: existing.options, requested: options },
        `circuit ${name} was requested with other options than it was created with; the first ones stay in force`,
      );
    }
    return existing;
  }

  onApplicationShutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
  }
}
