import { Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

/**
 * Runs deferred callbacks together at the end of the current event-loop turn (one
 * setImmediate for all of them). A callback deferred while a batch runs goes to the next turn.
 */
export class TurnBatch {
  private pending: Array<() => void> = [];

  constructor(private readonly onError: (error: unknown) => void) {}

  defer(callback: () => void): void {
    if (this.pending.length === 0) setImmediate(this.run);
    this.pending.push(callback);
  }

  private readonly run = (): void => {
    const batch = this.pending;
    this.pending = [];
    for (const callback of batch) {
      // one throwing callback must not leave the rest of the turn's responses unwritten
      try {
        callback();
      } catch (error) {
        this.onError(error);
      }
    }
  };
}

/**
 * Holds every response's write until the end of the event-loop turn in which it was produced,
 * so the turn's responses leave in one burst of writes instead of one at a time between
 * requests. Why (docs/decisions/0016): a write to a peer on the same host (loopback, a pod's
 * veth to a node-local proxy) delivers the segment and wakes the peer inside the write call;
 * waking a peer that went back to sleep after the previous response is the expensive part,
 * and back-to-back writes find it awake. The response is complete when held; only the socket
 * write waits, for the rest of the turn (the requests already read in it).
 * Registered last, so every other onSend hook has already shaped the payload.
 */
export function installTurnBatchedWrites(fastify: FastifyInstance): void {
  const logger = new Logger('Http');
  const batch = new TurnBatch((error) => logger.error({ err: error }, 'writing a held response failed'));
  fastify.addHook('onSend', (_request, _reply, payload, done) => {
    batch.defer(() => done(null, payload));
  });
}
