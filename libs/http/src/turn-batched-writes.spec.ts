import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { batchSocketWrites, TurnBatch } from './turn-batched-writes';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TurnBatch', () => {
  it('runs deferred callbacks together, in order, at the end of the turn, not when deferred', async () => {
    const batch = new TurnBatch(() => undefined);
    const ran: string[] = [];
    batch.defer(() => ran.push('a'));
    batch.defer(() => ran.push('b'));
    expect(ran).toEqual([]);
    await nextTurn();
    expect(ran).toEqual(['a', 'b']);
  });

  it('puts a callback deferred while a batch runs into the next turn', async () => {
    const batch = new TurnBatch(() => undefined);
    const ran: string[] = [];
    batch.defer(() => {
      ran.push('first');
      batch.defer(() => ran.push('deferred by first'));
    });
    await nextTurn();
    expect(ran).toEqual(['first']);
    await nextTurn();
    expect(ran).toEqual(['first', 'deferred by first']);
  });

  it('runs the rest of the batch when one callback throws, and reports the error', async () => {
    const errors: unknown[] = [];
    const batch = new TurnBatch((error) => errors.push(error));
    const ran: string[] = [];
    batch.defer(() => {
      throw new Error('broken write');
    });
    batch.defer(() => ran.push('after the broken one'));
    await nextTurn();
    expect(ran).toEqual(['after the broken one']);
    expect(errors).toEqual([new Error('broken write')]);
  });
});

describe('batchSocketWrites on a node:http server', () => {
  let server: Server;
  let port: number;
  let onRequest: (response: ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((_request, response) => onRequest(response));
    batchSocketWrites(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; closed: boolean }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, closed: response.headers.connection === 'close' }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('keeps the bytes of an ended response on the socket until the end of the turn, then writes them', async () => {
    const seen: { ended: boolean; pendingAtEnd: number; pendingNextTurn: number }[] = [];
    onRequest = (response) => {
      response.end('held for the turn');
      const socket = response.socket as Socket;
      const pendingAtEnd = socket.writableLength;
      setImmediate(() => seen.push({ ended: response.writableEnded, pendingAtEnd, pendingNextTurn: socket.writableLength }));
    };
    const answer = await get('/');
    expect(answer).toMatchObject({ status: 200, body: 'held for the turn' });
    // without batching the write goes out inside end(): nothing would be pending
    expect(seen).toHaveLength(1);
    expect(seen[0].ended).toBe(true);
    expect(seen[0].pendingAtEnd).toBeGreaterThan(0);
    expect(seen[0].pendingNextTurn).toBe(0);
  });

  it('streams a body larger than the socket buffers intact, in order (backpressure still works)', async () => {
    const chunks = Array.from({ length: 256 }, (_, index) => `${String(index).padStart(4, '0')}:${'x'.repeat(8 * 1024)}\n`);
    onRequest = (response) => Readable.from(chunks).pipe(response);
    const answer = await get('/large');
    expect(answer.body).toBe(chunks.join(''));
  });

  it('closes a Connection: close response only after its held bytes went out', async () => {
    onRequest = (response) => response.end('last one');
    const answer = await get('/', { connection: 'close' });
    expect(answer).toEqual({ status: 200, body: 'last one', closed: true });
  });

  it('writes what a socket holds before it is destroyed in the same turn (graceful shutdown closing idle sockets)', async () => {
    onRequest = (response) => {
      response.end('complete before the close');
      // once the request is parsed and the response ended, Node counts the connection as idle
      process.nextTick(() => server.closeIdleConnections());
    };
    const answer = await get('/closing');
    expect(answer).toMatchObject({ status: 200, body: 'complete before the close' });
    onRequest = (response) => response.end('still serving');
    expect((await get('/')).body).toBe('still serving');
  });
});

describe('batchSocketWrites under Fastify', () => {
  let app: FastifyInstance;
  let base: string;
  const sentStates: boolean[] = [];

  beforeAll(async () => {
    app = Fastify({ logger: false });
    batchSocketWrites(app.server);
    app.get('/item', (_request, reply) => {
      void reply.send({ state: 'sent once' });
      // the reply counts as sent at once, so a second send is refused, not written twice
      sentStates.push(reply.sent);
      void reply.send({ state: 'second send' });
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(() => app.close());

  it('answers with the first send only, and many concurrent requests each with their own body', async () => {
    const responses = await Promise.all(Array.from({ length: 50 }, () => fetch(`${base}/item`).then((r) => r.json())));
    expect(responses).toEqual(Array.from({ length: 50 }, () => ({ state: 'sent once' })));
    expect(sentStates).toEqual(Array.from({ length: 50 }, () => true));
  });
});
