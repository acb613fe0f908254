import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import type { CircuitBreakerOptions } from './circuit-breaker.config';
import { CIRCUIT_BREAKER_ROUTE, CircuitBreakerInterceptor, type CircuitBreakerRoute } from './circuit-breaker.interceptor';

/**
 * Puts a route (or every route of a controller) behind the circuit of the dependency it relies
 * on: while that circuit is open the route answers 503 (7001) at once. Options apply when the
 * circuit is created; routes and services naming the same dependency share one circuit.
 */
export function CircuitBreaker(
  name: string,
  options: Partial<CircuitBreakerOptions> = {},
): MethodDecorator & ClassDecorator {
  const route: CircuitBreakerRoute = { name, options };
  return applyDecorators(SetMetadata(CIRCUIT_BREAKER_ROUTE, route), UseInterceptors(CircuitBreakerInterceptor));
}
