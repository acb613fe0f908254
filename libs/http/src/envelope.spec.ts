import Fastify, { type FastifyInstance } from 'fastify';
import { installEnvelope } from './envelope';
import { DEFAULT_RETRY_AFTER_S } from './error-status';
import { jsonTextOf, rememberJsonText } from './json-text';

const item = () => ({ id: 7, name: '奶茶 🧋', tags: ['a', 'b'], price: { cents: 1999 } });

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

describe('installEnvelope with known JSON text', () => {
  let app: FastifyInstance;
  let baseUrl: string;
  const frozen = deepFreeze(JSON.parse(JSON.stringify(item())) as ReturnType<typeof item>);
  rememberJsonText(frozen, JSON.stringify(frozen));
  // registered with a text a serializer would never produce, to see which path answered
  const marked = Object.freeze({ id: 8 });
  rememberJsonText(marked, '{ "id": 8 }');

  beforeAll(async () => {
    app = Fastify({ genReqId: () => 'req-"1"' });
    installEnvelope(app, { rawPathPrefixes: [] });
    app.get('/known', () => frozen);
    app.get('/plain', () => item());
    app.get('/marked', () => marked);
    // as Nest answers a request that reaches a closing server: an object with a 503, past the filter
    app.get('/closing', (_request, reply) => reply.code(503).send({ statusCode: 503, message: 'Service Unavailable' }));
    app.get('/busy', (_request, reply) => reply.code(503).header('retry-after', '30').send({ message: 'busy' }));
    app.get(
      '/schema',
      { schema: { response: { 200: { type: 'object', properties: { data: { type: 'object', properties: { id: { type: 'number' } } } } } } } },
      () => frozen,
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  // over real HTTP: Fastify's inject() loads an ESM-only package the unit runner cannot
  const get = async (path: string) => {
    const response = await fetch(`${baseUrl}${path}`);
    return { statusCode: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
  };

  afterAll(() => app.close());

  it('splices the known text into the same bytes a serialization would give', async () => {
    const known = await get('/known');
    const plain = await get('/plain');
    expect(known.statusCode).toBe(200);
    expect(known.contentType).toBe('application/json; charset=utf-8');
    expect(known.body).toBe(plain.body);
    expect(JSON.parse(known.body)).toEqual({ code: 0, message: 'ok', data: item(), requestId: 'req-"1"' });
  });

  it('sends the registered text rather than serializing the object', async () => {
    const response = await get('/marked');
    expect(response.body).toBe('{"code":0,"message":"ok","data":{ "id": 8 },"requestId":"req-\\"1\\""}');
  });

  it('serializes normally when the route has a response schema, so the schema still filters', async () => {
    const response = await get('/schema');
    expect(JSON.parse(response.body)).toEqual({ data: { id: 7 } });
  });

  it('tells every 503 when to come back: Retry-After unless the sender set its own', async () => {
    const closing = await fetch(`${baseUrl}/closing`);
    expect([closing.status, closing.headers.get('retry-after')]).toEqual([503, String(DEFAULT_RETRY_AFTER_S)]);
    expect(await closing.json()).toEqual({ code: 1008, message: 'Service Unavailable', data: null, requestId: 'req-"1"' });
    const busy = await fetch(`${baseUrl}/busy`);
    expect(busy.headers.get('retry-after')).toBe('30');
  });

  it('only remembers frozen objects', () => {
    const open = item();
    rememberJsonText(open, JSON.stringify(open));
    rememberJsonText('text', '"text"');
    expect(jsonTextOf(open)).toBeUndefined();
    expect(jsonTextOf('text')).toBeUndefined();
    expect(jsonTextOf(frozen)).toBe(JSON.stringify(item()));
  });
});
