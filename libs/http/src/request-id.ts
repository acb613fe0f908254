import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// A caller's id is kept only if it is short and plain, so it cannot forge log lines.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Reuses the caller's X-Request-Id (from a gateway or the mini-program) when sane, else a UUID. */
export function requestIdFor(request: IncomingMessage): string {
  return clientRequestIdOf(request.headers) ?? randomUUID();
}

/** The caller's X-Request-Id when short and plain; null when absent or unfit for a log line. */
export function clientRequestIdOf(headers: IncomingHttpHeaders): string | null {
  const incoming = headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : null;
}
