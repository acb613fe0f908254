import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type RequestListener, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { resolveError } from './all-exceptions.filter';
import type { ErrorDefinition } from './app-error';
import { CommonError } from './common.errors';
import type { Envelope } from './envelope';
import { REQUEST_ID_HEADER } from './request-id';

const JSON_UTF8 = 'application/json; charset=utf-8';

function errorBody(definition: ErrorDefinition, message: string, requestId: string): string {
  const body: Envelope<null> = { code: definition.code, message, data: null, requestId };
  return JSON.stringify(body);
}

/**
 * Fastify's `frameworkErrors`: what its router refuses before any hook or Nest handler runs (a
 * URL that is not valid percent-encoding, `/%ff`; a path parameter over maxParamLength). Fastify
 * would answer its own `{"error":"Bad Request",...}` without our request id; this goes through
 * resolveError(), the exception filter's mapping, into the same envelope.
 */
export function sendFrameworkError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
  const { definition, message } = resolveError(error);
  void reply
    .code(definition.status)
    .header(REQUEST_ID_HEADER, request.id)
    .header('content-type', JSON_UTF8)
    .send(errorBody(definition, message, request.id));
}

// the errors Node's HTTP parser and its request timer report (Node's own socketOnError answers the same statuses)
const CLIENT_ERRORS: Readonly<Record<string, ErrorDefinition>> = {
  ERR_HTTP_REQUEST_TIMEOUT: CommonError.RequestTimeout,
  HPE_HEADER_OVERFLOW: CommonError.HeadersTooLarge,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: CommonError.PayloadTooLarge,
};

/** The raw HTTP response for a request Node could not parse or time: there is no request object to reply on. */
export function clientErrorResponse(error: { code?: unknown }, requestId: string): string {
  const definition = (typeof error.code === 'string' ? CLIENT_ERRORS[error.code] : undefined) ?? CommonError.MalformedRequest;
  const body = errorBody(definition, definition.message, requestId);
  return (
    `HTTP/1.1 ${definition.status} ${STATUS_CODES[definition.status] ?? 'Error'}\r\n` +
    `Content-Type: ${JSON_UTF8}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `${REQUEST_ID_HEADER}: ${requestId}\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * Fastify's `clientErrorHandler` (the server's 'clientError' event): headers over Node's
 * maxHeaderSize (431), a request past HTTP_REQUEST_TIMEOUT_MS or its headers past
 * HTTP_HEADERS_TIMEOUT_MS (408), anything the HTTP parser rejects (400). The headers were never
 * parsed, so the caller's X-Request-Id is unknown and a fresh one is made. As Node does, nothing
 * is written once a response has started on the socket, and the connection is closed.
 */
export function answerClientError(error: Error & { code?: unknown }, socket: Socket): void {
  // the peer is gone: nobody to answer
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) socket.write(clientErrorResponse(error, randomUUID()));
  socket.destroy(error);
}

/** How many Host headers a request carries (Node keeps the first of several and drops the rest from `headers`). */
function hostHeaderCount(request: IncomingMessage): number {
  const raw = request.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === 4 && raw[i].toLowerCase() === 'host') count += 1;
  return count;
}

/**
 * The server's request listener, with the Host rule of HTTP/1.1 (RFC 9112 §3.2: exactly one Host
 * header, else 400) answered in the envelope. Node's own check (`requireHostHeader`, switched off
 * where the server is made) answers a bare 400 with no body, and it lets a second Host header
 * through, keeping the first: what a proxy in front routed on and what this server reads could
 * differ. HTTP/1.0 needs no Host.
 */
export function withHostRule(handler: RequestListener): RequestListener {
  return (request, response) => {
    const hosts = hostHeaderCount(request);
    if (hosts === 1 || (hosts === 0 && request.httpVersion === '1.0')) return handler(request, response);
    const requestId = randomUUID();
    const body = errorBody(CommonError.MalformedRequest, `${CommonError.MalformedRequest.message}: ${hosts === 0 ? 'no Host header' : 'more than one Host header'}`, requestId);
    request.resume();
    response
      .writeHead(CommonError.MalformedRequest.status, { 'content-type': JSON_UTF8, 'content-length': Buffer.byteLength(body), [REQUEST_ID_HEADER]: requestId, connection: 'close' })
      .end(body);
  };
}
