import { context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { routeOf } from '@app/http';
import { drawNewRequestTrace, REQUEST_ROOT_DRAWN, TRACER_NAME } from './tracing';

const REQUEST_SPAN = Symbol('request span');
type TracedRequest = FastifyRequest & { [REQUEST_SPAN]?: Span };

/** The trace id of a request's span (for its request log line), undefined when not traced. */
export function traceIdOfRequest(request: FastifyRequest): string | undefined {
  return (request as TracedRequest)[REQUEST_SPAN]?.spanContext().traceId;
}

/**
 * One SERVER span per request, child of the caller's `traceparent` (the ingress, a mini-program
 * SDK) when there is one; everything the request does runs in its context, so database, Redis
 * and WeChat spans, outbound `traceparent` and enqueued jobs join the same trace. Installed only
 * when tracing is on, before any other hook that should see the context.
 */
export function installRequestTracing(fastify: FastifyInstance): void {
  const tracer = trace.getTracer(TRACER_NAME);
  fastify.addHook('onRequest', (request, _reply, done) => {
    const callerTrace = request.headers.traceparent !== undefined;
    // a request that brings no trace and is not drawn for recording runs with no span and no
    // context: nothing to record, no trace for WeChat or a job to join (most requests at 0.1)
    if (!callerTrace && !drawNewRequestTrace()) return done();
    const parent = callerTrace ? propagation.extract(ROOT_CONTEXT, request.headers) : ROOT_CONTEXT;
    const span = tracer.startSpan(
      `${request.method}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.path': request.url.split('?', 1)[0],
          'http.request_id': request.id,
          [REQUEST_ROOT_DRAWN]: !callerTrace,
        },
      },
      parent,
    );
    // a traceparent we could not read, and the root sampler passed over it: the same as no trace
    if (!span.isRecording() && !trace.getSpanContext(parent)) return done();
    (request as TracedRequest)[REQUEST_SPAN] = span;
    // the rest of the request's hooks and its handler continue inside done(): they inherit the context
    context.with(trace.setSpan(parent, span), done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = (request as TracedRequest)[REQUEST_SPAN];
    if (span) {
      const route = routeOf(request).url;
      if (route) {
        span.updateName(`${request.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}
