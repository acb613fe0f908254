import { Controller, Get, Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { AppError, CommonError, Public } from '@app/http';
import { CircuitBreaker, CircuitBreakerRegistry, DependencyBreaker, ResilienceError } from '@app/resilience';
import { circuitDiagnosticsConfig } from './circuit-diagnostics.config';

interface UpstreamAnswer {
  source: 'upstream' | 'fallback';
  upstream: unknown;
}

/**
 * Routes that depend on a real HTTP upstream (DIAGNOSTICS_UPSTREAM_URL), for the circuit-breaker
 * e2e suite (ENABLE_TEST_ROUTES only): one through the injectable wrapper, one with a fallback
 * on the same circuit, one behind the @CircuitBreaker route interceptor.
 */
@ApiExcludeController()
@Public()
@Controller('diagnostics/upstream')
export class CircuitDiagnosticsController {
  private readonly upstream: DependencyBreaker;

  constructor(
    breakers: CircuitBreakerRegistry,
    @Inject(circuitDiagnosticsConfig.KEY) private readonly config: ConfigType<typeof circuitDiagnosticsConfig>,
  ) {
    this.upstream = breakers.for('diagnostics-upstream');
  }

  @Get()
  call(): Promise<UpstreamAnswer> {
    return this.upstream.execute((signal) => this.fetchUpstream(signal));
  }

  @Get('with-fallback')
  callWithFallback(): Promise<UpstreamAnswer> {
    return this.upstream.execute((signal) => this.fetchUpstream(signal), {
      fallback: () => ({ source: 'fallback', upstream: null }),
    });
  }

  @Get('guarded')
  @CircuitBreaker('diagnostics-route')
  async guarded(): Promise<UpstreamAnswer> {
    try {
      return await this.fetchUpstream();
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError(ResilienceError.DependencyFailed, { cause: error });
    }
  }

  private async fetchUpstream(signal?: AbortSignal): Promise<UpstreamAnswer> {
    if (!this.config.upstreamUrl) {
      throw new AppError(CommonError.NotFound, { message: 'DIAGNOSTICS_UPSTREAM_URL is not set' });
    }
    const response = await fetch(this.config.upstreamUrl, { signal });
    if (!response.ok) throw new Error(`upstream answered ${response.status}`);
    return { source: 'upstream', upstream: await response.json() };
  }
}
