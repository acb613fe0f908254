import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Transform } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { routeOf } from '../route-of';

export const SIGNATURE_WINDOW_MS = 5 * 60_000;

declare module 'fastify' {
  interface FastifyRequest {
    /** sha256 (hex) of the exact request body bytes, on signed routes. */
    bodySha256?: string;
  }
}

const EMPTY_BODY_SHA256 = createHash('sha256').update('').digest('hex');

/**
 * Hashes request bodies while Fastify reads them, on @Signed() routes (or all routes when
 * signing is required globally): the signature covers the bytes the client sent, which a
 * re-serialised parsed body would not reproduce.
 */
export function installBodyHashing(fastify: FastifyInstance, options: { everyRoute: boolean }): void {
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    if (!options.everyRoute && routeOf(request).config?.signed !== true) return done(null, payload);
    const hash = createHash('sha256');
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
      flush(callback) {
        request.bodySha256 = hash.digest('hex');
        callback();
      },
    });
    done(null, payload.pipe(tap));
  });
}

export interface SignatureHeaders {
  timestamp: string | undefined;
  nonce: string | undefined;
  signature: string | undefined;
}

export type SignatureProblem = 'missing' | 'stale' | 'mismatch';

/** The string both sides sign. */
export function canonicalRequest(method: string, pathWithQuery: string, timestamp: string, nonce: string, bodySha256: string): string {
  return `${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${bodySha256}`;
}

/**
 * A body arrived on a route whose signature is checked, but nothing hashed it: the route is marked
 * signed without its route config (installBodyHashing reads `config.signed`, set by @Signed() on
 * the method), or hashing is off. Checking the signature over the empty body's hash would accept a
 * signature that covers none of the body, so the request fails, as the bug it is (500, logged).
 */
function unhashedBody(request: FastifyRequest): never {
  throw new Error(
    `${request.method} ${routeOf(request).url ?? 'route'} checks a request signature but its body was not hashed: ` +
      'mark the method @Signed() (route config signed: true), not its class',
  );
}

/** Checks headers, clock window and HMAC (constant-time); the nonce is claimed by the caller afterwards. */
export function checkSignature(
  request: FastifyRequest,
  headers: SignatureHeaders,
  signKey: string,
  now = Date.now(),
): SignatureProblem | null {
  const { timestamp, nonce, signature } = headers;
  if (!timestamp || !nonce || !signature || !/^\d{10,16}$/.test(timestamp) || !/^[A-Za-z0-9_-]{8,64}$/.test(nonce)) {
    return 'missing';
  }
  if (!/^[0-9a-f]{64}$/i.test(signature)) return 'mismatch';
  if (Math.abs(now - Number(timestamp)) > SIGNATURE_WINDOW_MS) return 'stale';
  const bodySha256 = request.bodySha256 ?? (request.body === undefined ? EMPTY_BODY_SHA256 : unhashedBody(request));
  const expected = createHmac('sha256', signKey)
    .update(canonicalRequest(request.method, request.url, timestamp, nonce, bodySha256))
    .digest();
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? null : 'mismatch';
}
