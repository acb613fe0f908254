import { Global, Module } from '@nestjs/common';
import { CircuitBreakerInterceptor } from './circuit-breaker.interceptor';
import { circuitMetricsProvider } from './circuit-breaker.metrics';
import { CircuitBreakerRegistry } from './circuit-breaker.registry';

/** Circuit breakers for outbound calls; global so any feature can inject the registry. */
@Global()
@Module({
  providers: [CircuitBreakerRegistry, CircuitBreakerInterceptor, circuitMetricsProvider],
  exports: [CircuitBreakerRegistry, CircuitBreakerInterceptor],
})
export class CircuitBreakerModule {}
