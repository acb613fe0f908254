import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorDefinition } from './app-error';
import { CommonError } from './common.errors';
import { Envelope } from './envelope';
import { DEFAULT_RETRY_AFTER_S, definitionForStatus } from './error-status';
import { ReplayedResponse, sendReplay } from './idempotency/idempotency.types';
import { methodsAllowedAt } from './method-not-allowed';
import { loggableError, safeErrorMessage, sanitizeUrl } from './log-safety';
import { MergeRouteConfig } from './route-config';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by @ErrorBody(): the body of this route's error answers, for a caller that is not our client. */
    errorBody?: (message: string) => object;
  }
}

/**
 * Replaces the envelope of this route's errors, including those raised before the handler runs
 * (malformed JSON, wrong media type, body too large): a third party's callback (WeChat Pay's notify
 * wants `{"code":"FAIL","message":…}`) reads its own shape. The status stays the mapped one.
 */
export const ErrorBody = (render: (message: string) => object): MethodDecorator => MergeRouteConfig({ errorBody: render });

interface ResolvedError {
  definition: ErrorDefinition;
  message: string;
  data: unknown;
  /** A dependency's own error, recognised by a registered classifier: expected, not a bug. */
  fromDependency?: true;
}

// Fastify raises these before a Nest handler runs (body parsing, limits).
const FASTIFY_CODES: Record<string, ErrorDefinition> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: CommonError.UnsupportedMediaType,
  FST_ERR_CTP_BODY_TOO_LARGE: CommonError.PayloadTooLarge,
  FST_ERR_CTP_EMPTY_JSON_BODY: CommonError.MalformedJson,
  FST_ERR_CTP_INVALID_JSON_BODY: CommonError.MalformedJson,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: CommonError.BadRequest,
  FST_ERR_CTP_INVALID_TYPE: CommonError.BadRequest,
  // the router's own (frameworkErrors, framework-errors.ts)
  FST_ERR_BAD_URL: CommonError.MalformedRequest,
  FST_ERR_MAX_PARAM_LENGTH: CommonError.UriTooLong,
};

function fastifyDefinition(error: unknown): ErrorDefinition | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' ? FASTIFY_CODES[code] : undefined;
}

/**
 * Names the error a dependency's own exception stands for (a driver's "connection refused" or
 * "query timeout" → DatabaseError.Unavailable / .Timeout), or undefined when it does not know it.
 * Each lib that talks to a dependency exports one; the composition root registers them, so a
 * dependency failure is mapped once, in libs, and never reaches a client as a 500.
 */
export type ErrorClassifier = (error: unknown) => ErrorDefinition | undefined;

const classifiers: ErrorClassifier[] = [];

/** Called by the composition root (app.factory.ts) for each lib's classifier. */
export function registerErrorClassifier(classifier: ErrorClassifier): void {
  if (!classifiers.includes(classifier)) classifiers.push(classifier);
}

function classified(exception: unknown): ErrorDefinition | undefined {
  for (const classify of classifiers) {
    const definition = classify(exception);
    if (definition) return definition;
  }
  return undefined;
}

/** Turns anything thrown into the envelope; exported for unit tests. */
export function resolveError(exception: unknown): ResolvedError {
  if (exception instanceof AppError) {
    return { definition: exception.definition, message: exception.message, data: exception.data };
  }
  const fromDependency = classifiers.length > 0 ? classified(exception) : undefined;
  if (fromDependency) return { definition: fromDependency, message: fromDependency.message, data: null, fromDependency: true };
  if (exception instanceof HttpException) {
    // Nest wraps Fastify's body-parser errors in an HttpException with the original as cause
    const fromFastify = fastifyDefinition(exception.cause);
    if (fromFastify) return { definition: fromFastify, message: fromFastify.message, data: null };
    const status = exception.getStatus();
    let definition = definitionForStatus(status);
    // Nest's router answers unknown paths with "Cannot GET /x"
    if (status === HttpStatus.NOT_FOUND && /^Cannot [A-Z]+ /.test(exception.message)) {
      definition = CommonError.RouteNotFound;
    }
    const message = status < 500 ? exception.message : definition.message;
    return { definition, message, data: null };
  }
  if (typeof exception === 'object' && exception !== null) {
    const { statusCode } = exception as { statusCode?: unknown };
    const fromFastify = fastifyDefinition(exception);
    if (fromFastify) return { definition: fromFastify, message: fromFastify.message, data: null };
    // fastify's JSON parser rethrows JSON.parse's SyntaxError with statusCode 400
    if (exception instanceof SyntaxError && statusCode === 400) {
      return { definition: CommonError.MalformedJson, message: CommonError.MalformedJson.message, data: null };
    }
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      const definition = definitionForStatus(statusCode);
      return { definition, message: definition.message, data: null };
    }
  }
  return { definition: CommonError.Internal, message: CommonError.Internal.message, data: null };
}

// named fields only: a driver's error object carries the query's parameters
function describeDependencyError(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code } = error as { code?: unknown };
  return [error.name, typeof code === 'string' ? code : undefined, safeErrorMessage(error)].filter(Boolean).join(': ');
}


/** At most one warning per error code per interval for expected 5xx (a dependency down), not one per request. */
const EXPECTED_WARN_INTERVAL_MS = 10_000;

/**
 * The one exception filter: every error leaves as `{ code, message, data, requestId }`
 * with the right status. Stacks stay in the server log, never in a response.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');
  private readonly warned = new Map<number, { until: number; suppressed: number }>();

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (exception instanceof ReplayedResponse) {
      if (!reply.sent) sendReplay(reply, exception);
      return;
    }
    let resolved = resolveError(exception);
    if (resolved.definition === CommonError.RouteNotFound) {
      const allowed = methodsAllowedAt(request);
      if (allowed.length > 0) {
        void reply.header('allow', allowed.join(', '));
        resolved = { definition: CommonError.MethodNotAllowed, message: `${CommonError.MethodNotAllowed.message}: use ${allowed.join(', ')}`, data: null };
      }
    }
    const status = resolved.definition.status;

    if (status >= 500) {
      if (exception instanceof AppError) {
        // raised on purpose (dependency down, not ready): worth a line, not a stack
        this.warnExpected(resolved, request.id, undefined);
      } else if (resolved.fromDependency) {
        // a dependency's own error, mapped by its lib: expected too; the cause says which
        this.warnExpected(resolved, request.id, describeDependencyError(exception));
      } else {
        // unexpected: the stack goes to the log (never to the client); an allow-list of the error's
        // fields and the sanitised URL, as the request line has it (log-safety.ts)
        this.logger.error(
          { err: loggableError(exception), requestId: request.id, code: resolved.definition.code },
          `${request.method} ${sanitizeUrl(request.url)} failed with ${status}`,
        );
      }
    }
    if (reply.sent) return;
    if (status === HttpStatus.SERVICE_UNAVAILABLE && !reply.hasHeader('retry-after')) {
      void reply.header('retry-after', resolved.definition.retryAfterS ?? DEFAULT_RETRY_AFTER_S);
    }

    const errorBody = request.routeOptions?.config?.errorBody;
    if (errorBody) {
      void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(errorBody(resolved.message)));
      return;
    }
    const body: Envelope<unknown> = {
      code: resolved.definition.code,
      message: resolved.message,
      data: resolved.data ?? null,
      requestId: request.id,
    };
    // sent as a string so the envelope hook does not wrap it a second time
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(body));
  }

  /**
   * During an outage every request fails the same way: the first of a code is logged, then at most
   * one line per interval saying how many were left out (each request still has its access line).
   */
  private warnExpected(resolved: ResolvedError, requestId: string, cause: string | undefined): void {
    const code = resolved.definition.code;
    const now = Date.now();
    const last = this.warned.get(code);
    if (last && now < last.until) {
      last.suppressed += 1;
      return;
    }
    this.warned.set(code, { until: now + EXPECTED_WARN_INTERVAL_MS, suppressed: 0 });
    this.logger.warn(
      {
        requestId,
        code,
        ...(last && last.suppressed > 0 ? { alsoSinceLastLine: last.suppressed } : {}),
        ...(cause ? { err: cause } : {}),
      },
      resolved.message,
    );
  }
}
