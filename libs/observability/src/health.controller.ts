import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { ApiErrors, AppError, CommonError, Public } from '@app/http';
import { RedisService } from '@app/redis';
import { ReadinessState } from './readiness.state';

/** How long one dependency check may take before it counts as down (the issue asks ≤ 1 s). */
const CHECK_TIMEOUT_MS = 1000;

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
    private readonly redis: RedisService,
    private readonly readiness: ReadinessState,
  ) {}

  /** Liveness: the event loop answers. Never touches a dependency, so a DB outage never restarts pods. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness probe' })
  live(): { status: 'ok'; uptimeSeconds: number } {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  /** Readiness: can this instance serve traffic now (dependencies up, not shutting down)? */
  @Get('ready')
  @ApiOperation({ summary: 'Readiness probe: database and Redis, each within 1 s' })
  @ApiErrors(CommonError.NotReady)
  async ready(): Promise<HealthCheckResult> {
    if (this.readiness.isShuttingDown) {
      throw new AppError(CommonError.NotReady, {
        message: 'Shutting down',
        data: { status: 'shutting_down' },
      });
    }
    try {
      return await this.health.check([() => this.checkDatabase(), () => this.checkRedis()]);
    } catch (error) {
      const response = (error as { getResponse?: () => unknown }).getResponse?.();
      const result = (response ?? {}) as Partial<HealthCheckResult>;
      const down = Object.keys(result.error ?? {});
      throw new AppError(CommonError.NotReady, {
        message: down.length > 0 ? `Not ready: ${down.join(', ')} down` : CommonError.NotReady.message,
        data: response ?? null,
        cause: error,
      });
    }
  }

  private checkDatabase(): PromiseLike<HealthIndicatorResult> {
    return this.indicators
      .check('database')
      .attempt(async () => {
        await this.dataSource.query('SELECT 1');
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }

  /**
   * Through the 'redis' circuit every caller shares: while it is open (a command timed out or
   * failed moments ago) the answer is "down" at once instead of a PING waiting out its timeout on
   * a stalled Redis; a PING that times out here opens it for everyone.
   */
  private checkRedis(): PromiseLike<HealthIndicatorResult> | HealthIndicatorResult {
    const client = this.redis.client;
    const session = this.indicators.check('redis');
    if (!client) return session.up({ mode: 'embedded' });
    if (this.redis.failingFast) return session.down({ message: 'not asked: circuit open after a timeout or failure' });
    return session
      .attempt(async () => {
        await this.redis.run(() => client.ping());
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }
}
