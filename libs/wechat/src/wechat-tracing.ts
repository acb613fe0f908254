import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('wxmp-backend');

/**
 * A CLIENT span for one call to WeChat (`wechat` or `wechatpay`), started only inside a recorded
 * trace, and its W3C traceparent added to the outgoing headers. `api` is the path without the
 * query string: WeChat's queries carry the access token.
 */
export function startWechatSpan(service: 'wechat' | 'wechatpay', method: string, api: string, headers: Record<string, string>): Span | undefined {
  if (!trace.getSpan(context.active())?.isRecording()) return undefined;
  const span = tracer.startSpan(`${service} ${method} ${api}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'http.request.method': method, 'url.path': api, 'peer.service': service },
  });
  propagation.inject(trace.setSpan(context.active(), span), headers);
  return span;
}

/** Ends the span with the answer's status (5xx: error) or the failure. */
export function endWechatSpan(span: Span | undefined, outcome: { status: number } | { error: unknown }): void {
  if (!span) return;
  if ('status' in outcome) {
    span.setAttribute('http.response.status_code', outcome.status);
    if (outcome.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  } else {
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error instanceof Error ? outcome.error.name : 'error' });
  }
  span.end();
}
