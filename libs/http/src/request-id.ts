import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// A caller's id is kept only if it is short and plain, so it cannot forge log lines.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Our own id, made beside a caller's one; on the raw request, where genReqId can reach it.
const SERVER_REQUEST_ID = Symbol('serverRequestId');
type RawRequest = IncomingMessage & { [SERVER_REQUEST_ID]?: string };

/** What the id helpers read of a request: Fastify's request (`id`, `raw`) fits. */
export interface IdentifiedRequest {
  id: string;
  raw: IncomingMessage;
}

/**
 * Fastify's genReqId: the request id the caller gets back (the X-Request-Id response header, the
 * envelope's `requestId`, `requestId` in every log line): the caller's X-Request-Id (a gateway's
 * or the mini-program's correlation id) when short and plain, else a UUID of ours. Only when the
 * caller's is kept is a second UUID made, the server's own (serverRequestIdOf), so a request
 * costs one id generation either way.
 */
export function requestIdFor(raw: IncomingMessage): string {
  const incoming = raw.headers[REQUEST_ID_HEADER];
  if (typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming)) {
    (raw as RawRequest)[SERVER_REQUEST_ID] = randomUUID();
    return incoming;
  }
  return randomUUID();
}

/**
 * The server's own id of the request, which no caller can choose: what audit rows store as
 * `request_id`. It is `request.id` itself unless the caller sent its own id.
 */
export function serverRequestIdOf(request: IdentifiedRequest): string {
  return (request.raw as RawRequest)[SERVER_REQUEST_ID] ?? request.id;
}

/** The caller's X-Request-Id when it was kept as the request's id (then echoed back), else null. */
export function clientRequestIdOf(request: IdentifiedRequest): string | null {
  return (request.raw as RawRequest)[SERVER_REQUEST_ID] === undefined ? null : request.id;
}
