import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { installTurnBatchedWrites, TurnBatch } from './turn-batched-writes';

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

describe('installTurnBatchedWrites', () => {
  let app: FastifyInstance;
  let base: string;
  const endedWhenSent: boolean[] = [];

  beforeAll(async () => {
    app = Fastify({ logger: false });
    // an earlier onSend hook still shapes the payload that is finally written
    app.addHook('onSend', (_request, reply, payload, done) => {
      void reply.header('x-shaped', 'yes');
      done(null, typeof payload === 'string' ? payload.replace('"raw"', '"shaped"') : payload);
    });
    installTurnBatchedWrites(app);
    app.get('/item', (_request, reply) => {
      void reply.send({ state: 'raw' });
      endedWhenSent.push(reply.raw.writableEnded);
    });
    app.get('/stream', (_request, reply) => {
      void reply.type('text/plain').send(Readable.from(['one ', 'two']));
    });
    app.get('/fails', () => {
      throw Object.assign(new Error('teapot'), { statusCode: 418 });
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(() => app.close());

  it('holds the write past the handler, then sends the response complete, shaped by the earlier hooks', async () => {
    const response = await fetch(`${base}/item`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-shaped')).toBe('yes');
    expect(await response.json()).toEqual({ state: 'shaped' });
    // without the hook, reply.send in a synchronous handler has ended the response already
    expect(endedWhenSent).toEqual([false]);
  });

  it('sends stream payloads, error responses and Fastify 404s', async () => {
    const stream = await fetch(`${base}/stream`);
    expect(stream.status).toBe(200);
    expect(await stream.text()).toBe('one two');
    const failed = await fetch(`${base}/fails`);
    expect(failed.status).toBe(418);
    expect(((await failed.json()) as { message: string }).message).toBe('teapot');
    const missing = await fetch(`${base}/nowhere`);
    expect(missing.status).toBe(404);
  });

  it('answers many concurrent requests, each with its own body', async () => {
    const responses = await Promise.all(Array.from({ length: 50 }, () => fetch(`${base}/item`).then((r) => r.json())));
    expect(responses).toEqual(Array.from({ length: 50 }, () => ({ state: 'shaped' })));
  });
});
