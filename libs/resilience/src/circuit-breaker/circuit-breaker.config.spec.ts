import { loadCircuitBreakerConfig } from './circuit-breaker.config';

describe('loadCircuitBreakerConfig', () => {
  it('defaults to 3 s timeout, more than 50 % failing over at least 10 calls in 10 s, 10 s open', () => {
    expect(loadCircuitBreakerConfig({})).toEqual({
      timeoutMs: 3_000,
      errorThresholdPercent: 50,
      volumeThreshold: 10,
      resetTimeoutMs: 10_000,
      rollingWindowMs: 10_000,
    });
  });

  it('reads overrides and names the variable that is wrong', () => {
    expect(loadCircuitBreakerConfig({ CIRCUIT_RESET_TIMEOUT_MS: '500' }).resetTimeoutMs).toBe(500);
    expect(() => loadCircuitBreakerConfig({ CIRCUIT_ERROR_THRESHOLD_PERCENT: '100' })).toThrow(
      /CIRCUIT_ERROR_THRESHOLD_PERCENT must not be greater than 99/,
    );
    expect(() => loadCircuitBreakerConfig({ CIRCUIT_TIMEOUT_MS: 'soon' })).toThrow(/CIRCUIT_TIMEOUT_MS must be an integer/);
  });
});
