import { ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import {
  getOptionsToken,
  getStorageToken,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { ThrottlerRequest } from '@nestjs/throttler/dist/throttler.guard.interface.js';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import { AppError } from '@app/http';
import { ResilienceError } from '../resilience.errors';
import { RATE_LIMIT_KEY_BY, RateLimitKeyBy } from './rate-limit.decorators';
import { RateLimitConfig } from './rate-limit.config';

export const RATE_LIMIT_REQUESTS_TOTAL = 'rate_limit_requests_total';

interface AuthenticatedRequest extends FastifyRequest {
  user?: { id?: string | number };
}

/**
 * @nestjs/throttler's guard with the behaviour a public API needs: IETF RateLimit-* headers,
 * 429 in our envelope with Retry-After, keys per user or per client IP (X-Forwarded-For only
 * from TRUSTED_PROXIES, via Fastify's trustProxy), and fail-open when the store is down: a
 * Redis outage must not turn into a 500 storm.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly failOpenLogger = new Logger('RateLimit');
  private lastFailOpenLog = 0;
  private readonly config: RateLimitConfig;

  constructor(
    @Inject(getOptionsToken()) options: ThrottlerModuleOptions,
    @Inject(getStorageToken()) storage: ThrottlerStorage,
    reflector: Reflector,
    configService: ConfigService,
    @InjectMetric(RATE_LIMIT_REQUESTS_TOTAL) private readonly decisions: Counter<'result'>,
  ) {
    super(options, storage, reflector);
    this.config = configService.getOrThrow<RateLimitConfig>('rateLimit');
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const url = context.switchToHttp().getRequest<FastifyRequest>().url;
    return this.config.exemptPrefixes.some((prefix) => url.startsWith(prefix));
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const user = (request as unknown as AuthenticatedRequest).user;
    return user?.id !== undefined ? `user:${user.id}` : `ip:${(request as unknown as FastifyRequest).ip}`;
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration, generateKey } = props;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const keyBy = this.reflector.getAllAndOverride<RateLimitKeyBy | undefined>(RATE_LIMIT_KEY_BY, [
      context.getHandler(),
      context.getClass(),
    ]);
    const tracker = keyBy === 'ip' ? `ip:${request.ip}` : await this.getTracker(request as unknown as Record<string, unknown>);
    const key = generateKey(context, tracker, throttler.name ?? 'default');

    let record;
    try {
      record = await this.storageService.increment(key, ttl, limit, blockDuration, throttler.name ?? 'default');
    } catch (error) {
      this.decisions.inc({ result: 'store_error' });
      this.logFailOpen(error);
      return true;
    }

    void reply.header('RateLimit-Limit', limit);
    void reply.header('RateLimit-Remaining', Math.max(0, limit - record.totalHits));
    void reply.header('RateLimit-Reset', record.timeToExpire);
    if (record.isBlocked) {
      this.decisions.inc({ result: 'limited' });
      void reply.header('Retry-After', Math.max(1, record.timeToBlockExpire));
      throw new AppError(ResilienceError.RateLimited);
    }
    this.decisions.inc({ result: 'allowed' });
    return true;
  }

  // one line per 10 s while the store is down, not one per request
  private logFailOpen(error: unknown): void {
    const now = Date.now();
    if (now - this.lastFailOpenLog < 10_000) return;
    this.lastFailOpenLog = now;
    this.failOpenLogger.warn({ err: (error as Error).message }, 'rate-limit store unavailable: requests pass unlimited');
  }
}
