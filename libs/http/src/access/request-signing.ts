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
  const bodySha256 = request.bodySha256 ?? EMPTY_BODY_SHA256;
  const expected = createHmac('sha256', signKey)
    .update(canonicalRequest(request.method, request.url, timestamp, nonce, bodySha256))
    .digest();
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? null : 'mismatch';
}
