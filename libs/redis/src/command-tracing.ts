import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Command } from 'ioredis';

const tracer = trace.getTracer('wxmp-backend');

/**
 * A CLIENT span for one Redis command, child of the current span, ended when the command settles;
 * nothing at all (one context read) outside a recorded trace, so untraced and unsampled requests
 * pay no span. Commands batched per event-loop turn (session and rate-limit scripts) belong to
 * the request that opened the turn's batch. The command's arguments are never recorded: keys hold
 * user ids and token hashes.
 */
export function traceCommand(command: Command): void {
  const parent = trace.getSpan(context.active());
  if (!parent?.isRecording()) return;
  const span: Span = tracer.startSpan(`redis ${command.name}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'db.system.name': 'redis', 'db.operation.name': command.name },
  });
  command.promise.then(
    () => span.end(),
    (error: unknown) => {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      span.end();
    },
  );
}
