import { Counter, Gauge, register } from 'prom-client';

export const CIRCUIT_STATE = 'circuit_state';
export const CIRCUIT_CALLS_TOTAL = 'circuit_calls_total';
export const CIRCUIT_METRICS = Symbol('CIRCUIT_METRICS');

/** Ordered by severity, so max() over instances shows the worst one. */
export const CircuitStateValue = { closed: 0, halfOpen: 1, open: 2 } as const;
export type CircuitState = keyof typeof CircuitStateValue;

export type CircuitCallResult = 'success' | 'failure' | 'timeout' | 'rejected';
export const CIRCUIT_CALL_RESULTS: readonly CircuitCallResult[] = ['success', 'failure', 'timeout', 'rejected'];

export interface CircuitMetrics {
  state: Gauge<'name'>;
  calls: Counter<'name' | 'result'>;
}

/**
 * prom-client on the default registry (served on /metrics) rather than @willsoto's providers:
 * that package is CommonJS and cannot be loaded by the unit tests under Jest's ESM mode.
 */
export const circuitMetricsProvider = {
  provide: CIRCUIT_METRICS,
  useFactory: (): CircuitMetrics => ({
    state:
      (register.getSingleMetric(CIRCUIT_STATE) as Gauge<'name'> | undefined) ??
      new Gauge({
        name: CIRCUIT_STATE,
        help: 'Circuit breaker state per dependency: 0 closed, 1 half-open, 2 open',
        labelNames: ['name'],
      }),
    calls:
      (register.getSingleMetric(CIRCUIT_CALLS_TOTAL) as Counter<'name' | 'result'> | undefined) ??
      new Counter({
        name: CIRCUIT_CALLS_TOTAL,
        help: 'Calls through a circuit breaker by result: success, failure, timeout, or rejected (failed fast while open)',
        labelNames: ['name', 'result'],
      }),
  }),
};
