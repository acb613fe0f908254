import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { defineConfig, parseEnv, ToInteger } from '@app/config';

class CircuitBreakerEnv {
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(10)
  @Max(120_000)
  CIRCUIT_TIMEOUT_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(99)
  CIRCUIT_ERROR_THRESHOLD_PERCENT?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(10_000)
  CIRCUIT_VOLUME_THRESHOLD?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(100)
  @Max(600_000)
  CIRCUIT_RESET_TIMEOUT_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  CIRCUIT_ROLLING_WINDOW_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(0)
  @Max(10_000)
  CIRCUIT_CONSECUTIVE_FAILURES?: number;
}

/** How one dependency's circuit behaves; the environment gives the defaults, call sites may override. */
export interface CircuitBreakerOptions {
  /** A call slower than this counts as a failure and the caller gets 504 (7002). */
  timeoutMs: number;
  /** The circuit opens when more than this share of calls in the window failed... */
  errorThresholdPercent: number;
  /** ...and at least this many calls were made, so two unlucky calls at night do not open it. */
  volumeThreshold: number;
  /** How long an open circuit fails fast before letting one trial call through (half-open). */
  resetTimeoutMs: number;
  /** The rolling window the failure share is computed over. */
  rollingWindowMs: number;
  /**
   * The circuit also opens after this many failures or timeouts in a row, however few calls the
   * window holds: calls that each wait a full timeout arrive too slowly to reach the volume.
   * A success resets the run, and so does a 4xx (the dependency answered). 0 turns the rule off.
   */
  consecutiveFailures: number;
}

export type CircuitBreakerConfig = CircuitBreakerOptions;

export function loadCircuitBreakerConfig(env: NodeJS.ProcessEnv): CircuitBreakerConfig {
  const parsed = parseEnv(CircuitBreakerEnv, env);
  return {
    timeoutMs: parsed.CIRCUIT_TIMEOUT_MS ?? 3_000,
    errorThresholdPercent: parsed.CIRCUIT_ERROR_THRESHOLD_PERCENT ?? 50,
    volumeThreshold: parsed.CIRCUIT_VOLUME_THRESHOLD ?? 10,
    resetTimeoutMs: parsed.CIRCUIT_RESET_TIMEOUT_MS ?? 10_000,
    rollingWindowMs: parsed.CIRCUIT_ROLLING_WINDOW_MS ?? 10_000,
    consecutiveFailures: parsed.CIRCUIT_CONSECUTIVE_FAILURES ?? 5,
  };
}

export const circuitBreakerConfig = defineConfig('circuitBreaker', loadCircuitBreakerConfig);
