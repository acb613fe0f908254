import { spawn } from 'node:child_process';
import type { Server as HttpServer } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/**
 * Extra listening handles on the server's own socket, so a burst of new connections is
 * accepted in a fraction of a second instead of several seconds.
 *
 * Why: since libuv 1.45 (Node 20) a listening handle accepts ONE connection per event-loop
 * turn. A saturated server runs a few dozen turns a second, so 1,000 clients connecting at
 * once wait seconds in the accept queue (measured: p99 ~3 s, hundreds of client timeouts, on
 * bare Fastify as on the API). Each extra file descriptor for the same socket is polled on its
 * own, so with N of them every turn accepts up to N + 1 connections. Node 22.12 has
 * `reusePort` for this; Node 20 has no dup(), so a short-lived child process receives the
 * socket over Node's IPC channel and sends it back N times: each message arrives as a new
 * descriptor of the same socket (SCM_RIGHTS). The socket travels as a raw handle, which the
 * child never listens on, so the child cannot accept (and lose) a connection meanwhile. The
 * child exits at once; there is still one socket and one process serving it. performance note 0013.
 */
export interface AcceptHandles {
  /** Extra descriptors currently listening (0 until the child has sent them back). */
  readonly count: number;
  /** Connections accepted through the extra descriptors (for tests and diagnostics). */
  readonly accepted: number;
  /** Resolves when the extra descriptors are in place (or adding them failed). */
  readonly ready: Promise<void>;
  /** Stops accepting on the extra descriptors (the server's own handle is left alone). */
  close(): Promise<void>;
}

export interface AcceptHandlesOptions {
  /** The server's accept queue length: re-listening on a descriptor sets it again. */
  backlog: number;
  /** How long the child may take to hand the descriptors back before we give up on them. */
  timeoutMs?: number;
  onError?: (error: Error) => void;
}

// Runs in the child: hand the received socket back `count` times, then exit.
const CHILD_SOURCE = `
process.once('message', (request, socketHandle) => {
  let sent = 0;
  const sendNext = (error) => {
    if (error || sent === request.count) { socketHandle.close(); process.disconnect(); return; }
    sent += 1;
    process.send({ sent }, socketHandle, sendNext);
  };
  sendNext();
});
process.once('disconnect', () => process.exit(0));
`;

export function addAcceptHandles(server: HttpServer, count: number, options: AcceptHandlesOptions): AcceptHandles {
  const extra: NetServer[] = [];
  let closed = false;
  let accepted = 0;
  const onConnection = (socket: Socket): void => {
    accepted += 1;
    // Node's http.Server turns Nagle off on what it accepts itself; these sockets come from
    // plain net.Servers, so do the same, or small responses would wait for delayed ACKs.
    socket.setNoDelay(true);
    server.emit('connection', socket);
  };

  const ready =
    count <= 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const child = spawn(process.execPath, ['-e', CHILD_SOURCE], {
            stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
            env: {},
          });
          const finish = (error?: Error): void => {
            clearTimeout(timer);
            if (error) options.onError?.(error);
            if (child.connected) child.disconnect();
            resolve();
          };
          const timer = setTimeout(
            () => finish(new Error(`accept handles: child gave back ${extra.length} of ${count} in time`)),
            options.timeoutMs ?? 5000,
          );
          timer.unref();
          child.on('error', finish);
          child.on('message', (_message: unknown, handle: unknown) => {
            if (handle == null) return;
            const listening = new NetServer();
            listening.on('connection', onConnection);
            listening.on('error', (error) => options.onError?.(error));
            // listen() on a socket that is already listening only sets its backlog again
            listening.listen(handle, options.backlog);
            if (closed) listening.close();
            else extra.push(listening);
            if (extra.length === count) finish();
          });
          // The raw libuv handle, not the net.Server: Node's IPC sends it as 'net.Native', and
          // the receiving side gets it without listening on it.
          const socketHandle = (server as unknown as { _handle: object | null })._handle;
          if (!socketHandle) {
            finish(new Error('accept handles: the server is not listening'));
            return;
          }
          child.send({ count }, socketHandle as never, (error: Error | null) => {
            if (error) finish(error);
          });
        });

  return {
    get count() {
      return extra.length;
    },
    get accepted() {
      return accepted;
    },
    ready,
    async close() {
      closed = true;
      await Promise.all(extra.splice(0).map((handle) => new Promise<void>((resolve) => handle.close(() => resolve()))));
    },
  };
}
