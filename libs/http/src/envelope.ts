import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFAULT_RETRY_AFTER_S, definitionForStatus } from './error-status';
import { jsonTextOf } from './json-text';
import { REQUEST_ID_HEADER } from './request-id';
import { MergeRouteConfig } from './route-config';
import { routeOf } from './route-of';

/** The shape of every JSON body the API sends: `code` 0 is success. */
export interface Envelope<T> {
  code: number;
  message: string;
  data: T | null;
  requestId: string;
}

export function successEnvelope<T>(data: T, requestId: string): Envelope<T> {
  return { code: 0, message: 'ok', data: data ?? null, requestId };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by @RawResponse(): send the handler's result without the envelope. */
    rawResponse?: boolean;
  }
}

/**
 * Marks a handler whose object result must be sent as is (a payment provider's callback
 * answer, a third-party protocol). Strings, Buffers and streams are never wrapped anyway.
 */
export const RawResponse = (): MethodDecorator => MergeRouteConfig({ rawResponse: true });

export interface EnvelopeOptions {
  /** Paths served by plugins rather than Nest handlers (e.g. the OpenAPI JSON at /docs-json). */
  rawPathPrefixes: string[];
}

// a serializer for a payload the preSerialization hook has already turned into the JSON text
const sendAsIs = (payload: unknown): string => payload as string;

/**
 * Wraps handler results in `{ code: 0, message: 'ok', data, requestId }` as Fastify
 * serializes them. A Fastify hook instead of a Nest interceptor: the interceptor's rxjs
 * chain cost about a quarter of the throughput of a trivial route here. Errors arrive
 * already enveloped (as strings) from AllExceptionsFilter; an object sent with an error
 * status by anything else (Nest's 503 while shutting down) is turned into an error envelope.
 * A payload whose JSON text is already known (see json-text.ts) is spliced in, not serialized.
 */
export function installEnvelope(fastify: FastifyInstance, options: EnvelopeOptions): void {
  const isRaw = (request: FastifyRequest): boolean =>
    routeOf(request).config?.rawResponse === true ||
    options.rawPathPrefixes.some((prefix) => request.url.startsWith(prefix));

  fastify.addHook('preSerialization', (request, reply, payload, done) => {
    if (isRaw(request)) return done(null, payload);
    if (reply.statusCode < 400) {
      const text = routeOf(request).schema?.response ? undefined : jsonTextOf(payload);
      if (text === undefined) return done(null, successEnvelope(payload, request.id));
      // same bytes as serializing successEnvelope(payload): the text is the payload's JSON
      reply.serializer(sendAsIs);
      return done(null, `{"code":0,"message":"ok","data":${text},"requestId":${JSON.stringify(request.id)}}`);
    }
    const definition = definitionForStatus(reply.statusCode);
    // an error sent from an onRequest hook that runs before ours (Nest's 503 while shutting down) has no id header yet
    if (!reply.hasHeader(REQUEST_ID_HEADER)) void reply.header(REQUEST_ID_HEADER, request.id);
    // every 503 says when to come back, this one too (AllExceptionsFilter sets it on its own 503s)
    if (reply.statusCode === 503 && !reply.hasHeader('retry-after')) void reply.header('retry-after', DEFAULT_RETRY_AFTER_S);
    const message = (payload as { message?: unknown } | null)?.message;
    const body: Envelope<null> = {
      code: definition.code,
      message: typeof message === 'string' ? message : definition.message,
      data: null,
      requestId: request.id,
    };
    done(null, body);
  });

  // A handler that returns nothing still answers with an envelope (data: null).
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (payload !== undefined && payload !== null && payload !== '') return done(null, payload);
    if (reply.statusCode >= 300 || reply.statusCode === 204 || isRaw(request)) return done(null, payload);
    void reply.header('content-type', 'application/json; charset=utf-8');
    done(null, JSON.stringify(successEnvelope(null, request.id)));
  });
}
