import { createHash } from 'node:crypto';
import {
  CallHandler,
  ExecutionContext,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { AccessError } from '../access/access.errors';
import type { AuthenticatedRequest } from '../access/principal';
import { resolveError } from '../all-exceptions.filter';
import { AppError } from '../app-error';
import { CommonError } from '../common.errors';
import { successEnvelope } from '../envelope';
import { routeOf } from '../route-of';
import { IDEMPOTENCY_OPTIONS, IdempotencyError, ReplayedResponse, type IdempotentOptions } from './idempotency.types';
import type { IdempotencyStore } from './idempotency.store';

export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');
export const IDEMPOTENCY_HEADER = 'idempotency-key';
const VALID_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
const REPLAY_TTL_MS = 24 * 60 * 60 * 1000;

const NOT_STARTED = new Set<unknown>([CommonError.ValidationFailed, CommonError.MalformedJson, CommonError.BadRequest]);
const REFUSALS = new Set<unknown>(Object.values(IdempotencyError));
const isIdempotencyRefusal = (error: unknown): boolean => error instanceof AppError && REFUSALS.has(error.definition);

/** Stable JSON: the same body with keys in another order is the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Idempotency-Key for write routes that opt in with @Idempotent(): the first request runs;
 * a duplicate while it runs gets 409; a later duplicate gets the stored status and body
 * (24 h); the same key with another body gets 422. Keys are scoped per signed-in account (its
 * kind and id: user 7 and admin account 7 are different callers) and per route; @Idempotent()
 * routes need sign-in. If the store is unreachable the request is refused (503):
 * running a payment twice is worse than asking the client to retry.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Idempotency');

  constructor(
    private readonly reflector: Reflector,
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    // @Idempotent() makes the route non-public; a @Public() written above it would undo that
    if (!request.user) throw new AppError(AccessError.Unauthenticated);
    const options = this.reflector.get<IdempotentOptions | undefined>(IDEMPOTENCY_OPTIONS, context.getHandler()) ?? {};
    const header = request.headers[IDEMPOTENCY_HEADER];
    if (header === undefined) {
      if (options.required) throw new AppError(IdempotencyError.KeyInvalid, { message: 'Idempotency-Key header is required' });
      return next.handle();
    }
    if (typeof header !== 'string' || !VALID_KEY.test(header)) throw new AppError(IdempotencyError.KeyInvalid);

    const { kind, id } = request.user;
    const scope = `${kind}:${id}`;
    const route = `${request.method} ${routeOf(request).url ?? request.url}`;
    const key = `${scope}:${createHash('sha256').update(route).digest('hex').slice(0, 16)}:${header}`;
    const fingerprint = createHash('sha256').update(`${route}\n${request.url}\n${canonical(request.body)}`).digest('hex');
    const lockTtlMs = options.lockTtlMs ?? 60_000;
    const successStatus =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      (request.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);

    return from(this.claim(key, fingerprint, lockTtlMs)).pipe(
      mergeMap(() => next.handle()),
      mergeMap((data: unknown) =>
        from(
          this.remember(key, fingerprint, {
            status: successStatus,
            body: JSON.stringify(successEnvelope(data, request.id)),
          }).then(() => data),
        ),
      ),
      catchError((error: unknown) => {
        // our own refusals (409/422/replay) say nothing about the first request's outcome
        if (error instanceof ReplayedResponse || isIdempotencyRefusal(error)) return throwError(() => error);
        const resolved = resolveError(error);
        // Stored: answers the route reached a decision on. Released (retry allowed): server
        // failures, and input that never got past validation (as Stripe does).
        const decided = resolved.definition.status < 500 && !NOT_STARTED.has(resolved.definition);
        const settle =
          decided
            ? this.remember(key, fingerprint, {
                status: resolved.definition.status,
                body: JSON.stringify({
                  code: resolved.definition.code,
                  message: resolved.message,
                  data: resolved.data ?? null,
                  requestId: request.id,
                }),
              })
            : this.store.release(key).catch(() => undefined);
        return from(settle.then(() => Promise.reject(error)));
      }),
    );
  }

  private async claim(key: string, fingerprint: string, lockTtlMs: number): Promise<void> {
    let result;
    try {
      result = await this.store.begin(key, fingerprint, lockTtlMs);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'idempotency store unavailable: refusing the write');
      throw new AppError(CommonError.ServiceUnavailable, { cause: error });
    }
    if (result.state === 'started') return;
    if (result.state === 'in_progress') throw new AppError(IdempotencyError.InProgress);
    if (result.state === 'mismatch') throw new AppError(IdempotencyError.KeyReused);
    throw new ReplayedResponse(result.response);
  }

  private async remember(key: string, fingerprint: string, response: { status: number; body: string }): Promise<void> {
    try {
      await this.store.complete(key, fingerprint, response, REPLAY_TTL_MS);
    } catch (error) {
      // the write happened; only the replay is lost, so the client is not told it failed
      this.logger.warn({ err: (error as Error).message }, 'could not store the response for replay');
    }
  }
}
