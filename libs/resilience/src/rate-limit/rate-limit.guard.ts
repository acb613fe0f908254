import { createHash } from 'node:crypto';
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
import { AppError, type AuthenticatedRequest, ipBucket } from '@app/http';
import { tallyCounter } from '@app/observability';
import { ResilienceError } from '../resilience.errors';
import { RATE_LIMIT_KEY_BY, RateLimitKeyBy } from './rate-limit.decorators';
import { RateLimitConfig } from './rate-limit.config';
import {
  THROTTLER_BLOCK_DURATION,
  THROTTLER_KEY_GENERATOR,
  THROTTLER_LIMIT,
  THROTTLER_SKIP,
  THROTTLER_TRACKER,
  THROTTLER_TTL,
} from './throttler-metadata';

export const RATE_LIMIT_REQUESTS_TOTAL = 'rate_limit_requests_total';

/** One settled promise for every request that needs no check (the base guard's signature is async). */
const PASS = Promise.resolve(true);


/** One named limit as it applies to one route, resolved from metadata once. */
interface RouteLimit {
  throttlerName: string;
  /** Short stable id of class + handler + throttler: the store key is `${routeId}:${tracker}`. */
  routeId: string;
  limit: number;
  ttl: number;
  blockDuration: number;
  keyBy: RateLimitKeyBy | undefined;
}

/** A route's limits, or 'dynamic' when a value is computed per request (left to the base guard). */
type RoutePlan = RouteLimit[] | 'dynamic';

/**
 * @nestjs/throttler's guard with the behaviour a public API needs: IETF RateLimit-* headers,
 * 429 in our envelope with Retry-After, keys per user or per client IP (X-Forwarded-For only
 * from TRUSTED_PROXIES, via Fastify's trustProxy; IPv6 by /64), and fail-open when the store is down: a
 * Redis outage must not turn into a 500 storm.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly failOpenLogger = new Logger('RateLimit');
  private lastFailOpenLog = 0;
  private failedOpenSinceLog = 0;
  private readonly config: RateLimitConfig;

  constructor(
    @Inject(getOptionsToken()) options: ThrottlerModuleOptions,
    @Inject(getStorageToken()) storage: ThrottlerStorage,
    reflector: Reflector,
    configService: ConfigService,
    @InjectMetric(RATE_LIMIT_REQUESTS_TOTAL) decisions: Counter<'result'>,
  ) {
    super(options, storage, reflector);
    this.config = configService.getOrThrow<RateLimitConfig>('rateLimit');
    // counted in plain numbers, handed to prom-client on each scrape (performance note 0018)
    this.allowed = tallyCounter(decisions, { result: 'allowed' });
    this.limited = tallyCounter(decisions, { result: 'limited' });
    this.storeErrors = tallyCounter(decisions, { result: 'store_error' });
  }

  private readonly allowed: () => void;
  private readonly limited: () => void;
  private readonly storeErrors: () => void;

  /**
   * The base guard re-reads six metadata keys per named throttler, awaits each value and hashes
   * the key with sha256 on every request; here a route's limits are resolved once (per handler)
   * and the request does only the store call, with no async frame of its own when a route has
   * one limit (the usual case). Values given as functions keep the base path.
   */
  override canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.isExempt(context)) return PASS;
    const handler = context.getHandler();
    let plan = this.plans.get(handler);
    if (plan === undefined) {
      plan = this.planFor(handler, context.getClass());
      this.plans.set(handler, plan);
    }
    if (plan === 'dynamic') return super.canActivate(context);
    if (plan.length === 0) return PASS;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (plan.length === 1) return this.decideRoute(context, request, plan[0]);
    return this.decideRoutes(context, request, plan);
  }

  private async decideRoutes(context: ExecutionContext, request: FastifyRequest, plan: RouteLimit[]): Promise<boolean> {
    for (const route of plan) await this.decideRoute(context, request, route);
    return true;
  }

  private decideRoute(context: ExecutionContext, request: FastifyRequest, route: RouteLimit): Promise<boolean> {
    const tracker = route.keyBy === 'ip' ? `ip:${ipBucket(request.ip)}` : this.trackerFor(request);
    return this.decide(context, `${route.routeId}:${tracker}`, route.limit, route.ttl, route.blockDuration, route.throttlerName);
  }

  private readonly plans = new WeakMap<object, RoutePlan>();

  private planFor(handler: object, classRef: object): RoutePlan {
    const targets = [handler, classRef] as Parameters<Reflector['getAllAndOverride']>[1];
    const keyBy = this.reflector.getAllAndOverride<RateLimitKeyBy | undefined>(RATE_LIMIT_KEY_BY, targets);
    const routes: RouteLimit[] = [];
    for (const throttler of this.throttlers) {
      const name = throttler.name ?? 'default';
      const meta = <T>(key: string) => this.reflector.getAllAndOverride<T | undefined>(key + name, targets);
      if (meta<boolean>(THROTTLER_SKIP)) continue;
      const limit = meta<unknown>(THROTTLER_LIMIT) ?? throttler.limit;
      const ttl = meta<unknown>(THROTTLER_TTL) ?? throttler.ttl;
      const blockDuration = meta<unknown>(THROTTLER_BLOCK_DURATION) ?? throttler.blockDuration ?? ttl;
      const custom = meta(THROTTLER_TRACKER) ?? meta(THROTTLER_KEY_GENERATOR) ?? throttler.skipIf ?? this.commonOptions.skipIf;
      if (typeof limit !== 'number' || typeof ttl !== 'number' || typeof blockDuration !== 'number' || custom) {
        return 'dynamic';
      }
      const routeName = `${(classRef as { name?: string }).name}-${(handler as { name?: string }).name}-${name}`;
      const routeId = createHash('sha256').update(routeName).digest('base64url').slice(0, 16);
      routes.push({ throttlerName: name, routeId, limit, ttl, blockDuration, keyBy });
    }
    return routes;
  }

  private isExempt(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const url = context.switchToHttp().getRequest<FastifyRequest>().url;
    return this.config.exemptPrefixes.some((prefix) => url.startsWith(prefix));
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return this.isExempt(context);
  }

  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    return Promise.resolve(this.trackerFor(request as unknown as FastifyRequest));
  }

  private trackerFor(request: FastifyRequest): string {
    const user = (request as AuthenticatedRequest).user;
    // IPv6 clients by /64 (client-ip.ts): one subscriber holds a whole /64
    return user ? `${user.kind}:${user.id}` : `ip:${ipBucket(request.ip)}`;
  }

  /** The base guard's per-request path, used for routes with per-request (function) values. */
  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration, generateKey } = props;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const keyBy = this.reflector.getAllAndOverride<RateLimitKeyBy | undefined>(RATE_LIMIT_KEY_BY, [
      context.getHandler(),
      context.getClass(),
    ]);
    const tracker = keyBy === 'ip' ? `ip:${ipBucket(request.ip)}` : this.trackerFor(request);
    const name = throttler.name ?? 'default';
    return this.decide(context, generateKey(context, tracker, name), limit, ttl, blockDuration, name);
  }

  /** Counts the request; sets the RateLimit-* headers; rejects with 429 when over; fails open. */
  private decide(
    context: ExecutionContext,
    key: string,
    limit: number,
    ttl: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<boolean> {
    return this.storageService.increment(key, ttl, limit, blockDuration, throttlerName).then(
      (record) => {
        const reply = context.switchToHttp().getResponse<FastifyReply>();
        void reply.header('ratelimit-limit', limit);
        void reply.header('ratelimit-remaining', Math.max(0, limit - record.totalHits));
        void reply.header('ratelimit-reset', record.timeToExpire);
        if (record.isBlocked) {
          this.limited();
          void reply.header('retry-after', Math.max(1, record.timeToBlockExpire));
          throw new AppError(ResilienceError.RateLimited);
        }
        this.allowed();
        return true;
      },
      (error: unknown) => {
        this.storeErrors();
        this.logFailOpen(error);
        return true;
      },
    );
  }

  // one line per 10 s while the store is down, counting the requests let through, not one per request
  private logFailOpen(error: unknown): void {
    this.failedOpenSinceLog += 1;
    const now = Date.now();
    if (now - this.lastFailOpenLog < 10_000) return;
    this.lastFailOpenLog = now;
    this.failOpenLogger.warn(
      { err: (error as Error).message, passedUnlimited: this.failedOpenSinceLog },
      'rate-limit store unavailable: requests pass unlimited',
    );
    this.failedOpenSinceLog = 0;
  }
}
