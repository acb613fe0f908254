import { type Attributes, type Context, context, type Link, type Span, type SpanKind, trace } from '@opentelemetry/api';
import { createRequire } from 'node:module';
import type { TracingConfig } from './tracing.config';

type SdkTraceNode = typeof import('@opentelemetry/sdk-trace-node');
type ExporterOtlpHttp = typeof import('@opentelemetry/exporter-trace-otlp-http');
type Resources = typeof import('@opentelemetry/resources');

/** The tracer every span of the service comes from (spans of libs name their lib in `component`). */
export const TRACER_NAME = 'wxmp-backend';

interface StartedTracing {
  shutdown(): Promise<void>;
  sampleRatio: number;
}

/**
 * Set on a request's root span that the request hook drew for recording (drawNewRequestTrace):
 * the root sampler records it without drawing again, so requests are sampled once, at the ratio.
 */
export const REQUEST_ROOT_DRAWN = 'wxmp.trace.root_drawn';

let started: StartedTracing | null = null;

/** True once startTracing() installed the SDK: hooks and log fields are added only then. */
export function tracingStarted(): boolean {
  return started !== null;
}

/**
 * Starts OpenTelemetry when OTEL_EXPORTER_OTLP_ENDPOINT is set: a tracer provider with
 * parent-based ratio sampling, batched OTLP/HTTP (JSON) export to `<endpoint>/v1/traces`, the
 * AsyncLocalStorage context manager and the W3C trace-context propagator (traceparent in and
 * out). Off, nothing is loaded: @opentelemetry/api alone answers "no span" everywhere.
 * Call before the app is created, once per process.
 */
export function startTracing(config: TracingConfig, service: { version: string; role: string }): boolean {
  if (config.endpoint === null || started) return started !== null;
  // loaded only when on, with require (the bundle runs in a vm.Script, where import() has no loader):
  // a process without tracing never evaluates the SDK
  const load = createRequire(__filename);
  const { NodeTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, SamplingDecision } = load('@opentelemetry/sdk-trace-node') as SdkTraceNode;
  const { OTLPTraceExporter } = load('@opentelemetry/exporter-trace-otlp-http') as ExporterOtlpHttp;
  const { resourceFromAttributes } = load('@opentelemetry/resources') as Resources;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': config.serviceName,
      'service.version': service.version,
      'service.namespace': 'wxmp',
      'wxmp.app_role': service.role,
    }),
    sampler: new ParentBasedSampler({ root: requestAwareRootSampler(new TraceIdRatioBasedSampler(config.sampleRatio), SamplingDecision.RECORD_AND_SAMPLED) }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${config.endpoint}/v1/traces` }), {
        scheduledDelayMillis: config.exportDelayMs,
        maxQueueSize: 8192,
        maxExportBatchSize: 512,
      }),
    ],
  });
  provider.register();
  started = { shutdown: () => provider.shutdown(), sampleRatio: config.sampleRatio };
  return true;
}

type RootSampler = import('@opentelemetry/sdk-trace-node').Sampler;

/**
 * The sampler of new traces: a request root the request hook drew (REQUEST_ROOT_DRAWN) is recorded;
 * any other root (a job or a sweep with no trace to join) is drawn by its trace id, at the ratio.
 */
export function requestAwareRootSampler(byTraceId: RootSampler, recordAndSample: ReturnType<RootSampler['shouldSample']>['decision']): RootSampler {
  return {
    shouldSample(parent: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]) {
      if (attributes[REQUEST_ROOT_DRAWN] === true) return { decision: recordAndSample };
      return byTraceId.shouldSample(parent, traceId, name, kind, attributes, links);
    },
    toString: () => `RequestAwareRoot{${byTraceId.toString()}}`,
  };
}

/**
 * Whether a request that brings no trace starts one that is recorded (the sample ratio). Drawn
 * before any span exists: the requests left out (90 % at 0.1) cost no span, ids or context at
 * all (ADR 0030, "Cost"). False when tracing is off.
 */
export function drawNewRequestTrace(): boolean {
  return started !== null && Math.random() < started.sampleRatio;
}

/** Sends what is still buffered and stops (graceful shutdown); a no-op when tracing is off. */
export async function shutdownTracing(): Promise<void> {
  const current = started;
  started = null;
  await current?.shutdown().catch(() => undefined);
}

/** The recording span of the current context, if any: libs add child spans only under one. */
export function recordingSpan(): Span | undefined {
  const span = trace.getSpan(context.active());
  return span?.isRecording() ? span : undefined;
}

/**
 * `{ traceId, spanId }` of the current context for log lines (pino mixin), {} outside a trace.
 * A new object each time: pino merges the line's own fields into what the mixin returns.
 */
export function traceLogFields(): { traceId?: string; spanId?: string } {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}
