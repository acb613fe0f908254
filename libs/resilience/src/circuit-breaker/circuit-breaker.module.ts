import { Global, Module } from '@nestjs/common';
import { CircuitBreakerInterceptor } from './circuit-breaker.interceptor';
import { circuitMetricsProvider } from './circuit-breaker.metrics';
import { CircuitBreakerRegistry } from './circuit-breaker.registry';
import { RedisCircuit } from '../dependencies/redis-circuit';

/**
 * Circuit breakers for outbound calls; global so any feature can inject the registry. Also
 * installs the 'redis' circuit into RedisService (RedisCircuit), which every Redis caller shares.
 */
@Global()
@Module({
  providers: [CircuitBreakerRegistry, CircuitBreakerInterceptor, circuitMetricsProvider, RedisCircuit],
  exports: [CircuitBreakerRegistry, CircuitBreakerInterceptor, RedisCircuit],
})
export class CircuitBreakerModule {}
