import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** A refused body is read and dropped up to this much before the answer goes anyway. */
const DRAIN_CAP_BYTES = 32 * 1024 * 1024;
/** Longest a refusal waits for the rest of its body. */
const DRAIN_WAIT_MS = 3_000;

/**
 * Reads and drops what is left of a request body, until it ends, passes `capBytes`, or `waitMs`
 * goes by; resolves then, never rejects.
 */
export function drainRequestBody(raw: IncomingMessage, capBytes = DRAIN_CAP_BYTES, waitMs = DRAIN_WAIT_MS): Promise<void> {
  if (raw.readableEnded || raw.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let drained = 0;
    const done = (): void => {
      clearTimeout(timer);
      raw.off('data', onData).off('end', done).off('close', done).off('error', done);
      // what still arrives is dropped: Node closes the connection after the answer
      raw.resume();
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      drained += chunk.length;
      if (drained > capBytes) done();
    };
    const timer = setTimeout(done, waitMs);
    // a preParsing tap (request signing) may be piped from it; nobody reads that any more
    raw.unpipe();
    raw.on('data', onData).once('end', done).once('close', done).once('error', done);
    raw.resume();
  });
}

/**
 * When Fastify refuses a body while it is still arriving (over the body limit, a parser error),
 * it answers at once with `Connection: close`, and Node closes the socket as soon as that answer
 * is written: with the client still sending, the close resets the connection and the client reads
 * EPIPE instead of the 413 (seen for most 5 MB JSON bodies). The error hook waits, bounded, until
 * the rest of the body is read and dropped, so the answer is what the client gets.
 */
export function installRefusedBodyDrain(fastify: FastifyInstance): void {
  fastify.addHook('onError', async (request, reply) => {
    if (reply.getHeader('connection') !== 'close') return;
    await drainRequestBody(request.raw);
  });
}
