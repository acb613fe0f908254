import { Controller, Get, Logger } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { ApiErrors, AppError, CommonError, Public } from '@app/http';
import { RedisService } from '@app/redis';
import { ReadinessState } from './readiness.state';

/** How long one dependency check may take before it counts as down (the issue asks ≤ 1 s). */
const CHECK_TIMEOUT_MS = 1000;
/**
 * How long a check's answer serves the probes that follow (concurrent probes share one check in
 * flight): readiness is public and unthrottled, and each call used to cost a database and a Redis
 * round trip. An outage shows within this plus the check's own time; SIGTERM, and a Redis circuit
 * that is open, show at once.
 */
const CHECK_CACHE_MS = 1000;

type Dependency = 'database' | 'redis';
type DependencyStatus = 'up' | 'down';

/** What readiness says in public: up or down per dependency, never why (that goes to the log). */
export interface ReadinessReport {
  status: 'ok' | 'error';
  details: Record<Dependency, { status: DependencyStatus }>;
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  private readonly logger = new Logger('Readiness');
  /** The last status of each dependency: a change is logged once, with the reason, not every probe. */
  private readonly lastStatus = new Map<Dependency, DependencyStatus>();

  constructor(
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
  @ApiOperation({ summary: 'Readiness probe: database and Redis up or down, each checked within 1 s, the answer reused for 1 s' })
  @ApiErrors(CommonError.NotReady)
  async ready(): Promise<ReadinessReport> {
    if (this.readiness.isShuttingDown) {
      throw new AppError(CommonError.NotReady, {
        message: 'Shutting down',
        data: { status: 'shutting_down' },
      });
    }
    const [database, redis] = await Promise.all([this.checkDatabase(), this.checkRedis()]);
    const report: ReadinessReport = {
      status: 'ok',
      details: { database: this.publicStatus('database', database), redis: this.publicStatus('redis', redis) },
    };
    const down = (Object.keys(report.details) as Dependency[]).filter((name) => report.details[name].status === 'down');
    if (down.length === 0) return report;
    throw new AppError(CommonError.NotReady, { message: `Not ready: ${down.join(', ')} down`, data: { ...report, status: 'error' } });
  }

  /**
   * Up or down, for the response; a change of status goes to the log once, with the check's own
   * message (a driver's "connect ECONNREFUSED 10.0.3.7:3306" tells an attacker the network inside).
   */
  private publicStatus(name: Dependency, result: HealthIndicatorResult): { status: DependencyStatus } {
    const detail = result[name] as { status: string; message?: unknown };
    const status: DependencyStatus = detail.status === 'up' ? 'up' : 'down';
    const previous = this.lastStatus.get(name);
    if (previous !== status) {
      this.lastStatus.set(name, status);
      if (status === 'down') this.logger.warn({ dependency: name, reason: String(detail.message ?? 'unknown') }, `readiness: ${name} down`);
      else if (previous === 'down') this.logger.log({ dependency: name }, `readiness: ${name} up again`);
    }
    return { status };
  }

  private checkDatabase(): PromiseLike<HealthIndicatorResult> {
    return this.indicators
      .check('database')
      .attempt(async () => {
        await this.dataSource.query('SELECT 1');
      })
      .withTimeout(CHECK_TIMEOUT_MS)
      .cacheFor(CHECK_CACHE_MS);
  }

  /**
   * Through the 'redis' circuit every caller shares: while it is open (a command timed out or
   * failed moments ago) the answer is "down" at once instead of a PING waiting out its timeout on
   * a stalled Redis; a PING that times out here opens it for everyone.
   */
  private checkRedis(): PromiseLike<HealthIndicatorResult> | HealthIndicatorResult {
    const client = this.redis.client;
    const session = this.indicators.check('redis');
    if (!client) return session.up();
    if (this.redis.failingFast) return session.down({ message: 'not asked: circuit open after a timeout or failure' });
    return session
      .attempt(async () => {
        await this.redis.run(() => client.ping());
      })
      .withTimeout(CHECK_TIMEOUT_MS)
      .cacheFor(CHECK_CACHE_MS);
  }
}
