/**
 * What of a request or an error may reach a log line. Here rather than in libs/observability
 * because the exception filter (libs/http) needs it and libs/observability builds on libs/http;
 * libs/observability re-exports it.
 */
export const REDACTED = '[REDACTED]';

const SENSITIVE_QUERY = /token|code|key|secret|password|phone|signature|ticket/i;

/** Keeps the path and parameter names of a URL but hides values that are credentials. */
export function sanitizeUrl(url: string | undefined): string {
  if (!url) return '';
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  for (const name of [...params.keys()]) {
    if (SENSITIVE_QUERY.test(name)) params.set(name, REDACTED);
  }
  return `${url.slice(0, queryStart)}?${params.toString()}`;
}

/** The fields of an unexpected error a log line carries: never a driver's `sql`, `parameters` or `driverError`. */
export interface LoggableError {
  name: string;
  message: string;
  code?: string | number;
  errno?: number;
  stack?: string;
  cause?: LoggableError;
}

/**
 * Rewrites what a dependency's error says before it reaches a log line, or answers undefined when
 * the error is not one of its own: a database server quotes the offending value in its messages
 * (libs/database redactDatabaseErrorText). Each lib that talks to such a dependency exports one and
 * the composition root registers it, as it does the error classifiers, so libs/http needs to know
 * no driver.
 */
export type ErrorTextRedactor = (error: Error) => string | undefined;

const redactors: ErrorTextRedactor[] = [];

export function registerErrorTextRedactor(redactor: ErrorTextRedactor): void {
  if (!redactors.includes(redactor)) redactors.push(redactor);
}

/** The error's message as a log line may carry it. */
export function safeErrorMessage(error: Error): string {
  for (const redact of redactors) {
    const redacted = redact(error);
    if (redacted !== undefined) return redacted;
  }
  return String(error.message);
}

/**
 * An allow-list of an error's fields for the log: name, code, errno, message (as the registered
 * redactors leave it) and the stack's frames under that message (the stack's own first lines
 * repeat the raw message). Whole error objects are never logged: TypeORM's QueryFailedError
 * carries the query's `parameters`, and mysql2's error the `sql` with every value inlined.
 */
export function loggableError(error: unknown, depth = 0): LoggableError {
  if (!(error instanceof Error)) return { name: typeof error, message: typeof error === 'string' ? error : 'a thrown non-Error value' };
  const { code, errno, cause } = error as { code?: unknown; errno?: unknown; cause?: unknown };
  const message = safeErrorMessage(error);
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return {
    name: error.name,
    message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(typeof errno === 'number' ? { errno } : {}),
    ...(frames.length > 0 ? { stack: [`${error.name}: ${message}`, ...frames].join('\n') } : {}),
    ...(cause !== undefined && depth < 3 ? { cause: loggableError(cause, depth + 1) } : {}),
  };
}
