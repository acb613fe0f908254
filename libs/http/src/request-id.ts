import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// A caller's id is kept only if it is short and plain, so it cannot forge log lines.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The server's own id for every request: the response's X-Request-Id, the envelope's
 * `requestId`, the log line and audit rows. Never the caller's, so nobody outside can choose the
 * id an audit row or a log line is found by, or give two requests the same one.
 */
export function requestIdFor(): string {
  return randomUUID();
}

/**
 * The caller's X-Request-Id (a gateway's or the mini-program's own correlation id) when short and
 * plain, kept beside ours as `clientRequestId` in the log line and audit rows; null when absent
 * or unfit for a log line.
 */
export function clientRequestIdOf(headers: IncomingHttpHeaders): string | null {
  const incoming = headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : null;
}
