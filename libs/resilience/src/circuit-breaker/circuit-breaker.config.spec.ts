import { loadCircuitBreakerConfig } from './circuit-breaker.config';

describe('loadCircuitBreakerConfig', () => {
  it('defaults to 3 s timeout, more than 50 % failing over at least 10 calls in 10 s or 5 in a row, 10 s open', () => {
    expect(loadCircuitBreakerConfig({})).toEqual({
      timeoutMs: 3_000,
      errorThresholdPercent: 50,
      volumeThreshold: 10,
      resetTimeoutMs: 10_000,
      rollingWindowMs: 10_000,
      consecutiveFailures: 5,
    });
  });

  it('reads CIRCUIT_CONSECUTIVE_FAILURES, 0 turning the rule off, and refuses anything else', () => {
    expect(loadCircuitBreakerConfig({ CIRCUIT_CONSECUTIVE_FAILURES: '3' }).consecutiveFailures).toBe(3);
    expect(loadCircuitBreakerConfig({ CIRCUIT_CONSECUTIVE_FAILURES: '0' }).consecutiveFailures).toBe(0);
    expect(() => loadCircuitBreakerConfig({ CIRCUIT_CONSECUTIVE_FAILURES: '-1' })).toThrow(
      /CIRCUIT_CONSECUTIVE_FAILURES must not be less than 0/,
    );
    expect(() => loadCircuitBreakerConfig({ CIRCUIT_CONSECUTIVE_FAILURES: 'five' })).toThrow(
      /CIRCUIT_CONSECUTIVE_FAILURES must be an integer/,
    );
  });

  it('reads overrides and names the variable that is wrong', () => {
    expect(loadCircuitBreakerConfig({ CIRCUIT_RESET_TIMEOUT_MS: '500' }).resetTimeoutMs).toBe(500);
    expect(() => loadCircuitBreakerConfig({ CIRCUIT_ERROR_THRESHOLD_PERCENT: '100' })).toThrow(
      /CIRCUIT_ERROR_THRESHOLD_PERCENT must not be greater than 99/,
    );
    expect(() => loadCircuitBreakerConfig({ CIRCUIT_TIMEOUT_MS: 'soon' })).toThrow(/CIRCUIT_TIMEOUT_MS must be an integer/);
  });
});
