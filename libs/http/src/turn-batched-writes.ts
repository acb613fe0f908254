import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { Logger } from '@nestjs/common';

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
      // one throwing callback must not leave the rest of the turn's writes undone
      try {
        callback();
      } catch (error) {
        this.onError(error);
      }
    }
  };
}

/**
 * Holds each socket write of the server's connections until the end of the event-loop turn,
 * so the responses of a turn leave in one burst of writes instead of one at a time between
 * requests. Why (docs/performance/0016): a write to a peer on the same host (loopback, a pod's
 * veth to a node-local proxy) delivers the segment and wakes the peer inside the write call;
 * waking a peer that went back to sleep after the previous response is the expensive part,
 * and back-to-back writes find it awake.
 *
 * Only the kernel write waits: it wraps the socket's stream implementation (`_write`/`_writev`,
 * the methods a Writable is built from), so for Node and Fastify the response is ended as
 * before (`reply.sent` is true, a second send is refused), and the socket reports the write
 * done, emits 'drain' and lets `end()` shut down only once the bytes went out, which keeps
 * backpressure and ordering intact (a Writable has one write of a socket outstanding at a time).
 * A socket destroyed in the meantime writes what it holds first: Node counts a connection whose
 * response has ended as idle, and `closeIdleConnections()` (graceful shutdown) would otherwise
 * cut a response that was complete.
 */
export function batchSocketWrites(server: Server): void {
  const logger = new Logger('Http');
  const batch = new TurnBatch((error) => logger.error({ err: error }, 'a held socket write failed'));
  server.on('connection', (socket: Socket) => {
    const write = socket._write;
    const writev = socket._writev;
    const destroy = socket.destroy;
    let held: (() => void) | null = null;
    const release = (): void => {
      const heldWrite = held;
      held = null;
      heldWrite?.();
    };
    const hold = (heldWrite: () => void): void => {
      held = heldWrite;
      batch.defer(release);
    };
    socket._write = (chunk, encoding, callback) => hold(() => write.call(socket, chunk, encoding, callback));
    if (writev) socket._writev = (chunks, callback) => hold(() => writev.call(socket, chunks, callback));
    socket.destroy = function (this: Socket, error?: Error) {
      release();
      return destroy.call(this, error);
    };
  });
}
