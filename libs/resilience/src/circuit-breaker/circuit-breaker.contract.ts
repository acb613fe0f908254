import type { ContractRule } from '@app/http';
import { DependencyErrors } from '../resilience.errors';
import { CIRCUIT_BREAKER_ROUTE } from './circuit-breaker.interceptor';

/** A @CircuitBreaker() route answers 503/504/502 (7001-7003) when its dependency fails. */
export const circuitBreakerContract: ContractRule = (route) =>
  route.metadata(CIRCUIT_BREAKER_ROUTE) === undefined ? null : { errors: DependencyErrors };
