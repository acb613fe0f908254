import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { PooledConnection } from './bounded-pool';

const tracer = trace.getTracer('wxmp-backend');
const MAX_STATEMENT_CHARS = 2048;

type QueryCallback = (error: unknown, ...results: unknown[]) => unknown;

function statementOf(first: unknown): string {
  if (typeof first === 'string') return first;
  const sql = (first as { sql?: unknown } | null)?.sql;
  return typeof sql === 'string' ? sql : '';
}

/**
 * A CLIENT span per query on this connection, child of the current span (the request's, a job's),
 * ended by the query's callback; outside a recorded trace it costs one context read. The statement
 * is recorded as TypeORM sends it: with `?` placeholders, never the parameter values.
 */
export function traceQueries(connection: PooledConnection): void {
  const query = connection.query;
  connection.query = function tracedQuery(this: unknown, ...args: unknown[]): unknown {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback !== 'function' || !trace.getSpan(context.active())?.isRecording()) return query.apply(this, args);
    const statement = statementOf(args[0]);
    const operation = /^\s*(\w+)/.exec(statement)?.[1]?.toUpperCase() ?? 'QUERY';
    const span = tracer.startSpan(`db ${operation}`, {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system.name': 'mysql', 'db.operation.name': operation, 'db.query.text': statement.slice(0, MAX_STATEMENT_CHARS) },
    });
    args[last] = (error: unknown, ...results: unknown[]): unknown => {
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: String((error as { code?: unknown }).code ?? 'error') });
      span.end();
      return (callback as QueryCallback)(error, ...results);
    };
    return query.apply(this, args);
  };
}
