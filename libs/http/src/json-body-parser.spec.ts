import type { AddressInfo } from 'node:net';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { AppError } from './app-error';
import { installJsonBodyParser, type JsonBodyLimits, jsonStructureProblem } from './json-body-parser';

const scan = (text: string, limits: JsonBodyLimits) => jsonStructureProblem(Buffer.from(text), limits);

/** Depth and members of a parsed value, counted the way the scan counts them (commas + containers). */
function structureOf(value: unknown): { depth: number; keys: number } {
  if (typeof value !== 'object' || value === null) return { depth: 0, keys: 0 };
  const members = Array.isArray(value) ? value : Object.values(value);
  let depth = 0;
  let keys = 1 + Math.max(0, members.length - 1);
  for (const member of members) {
    const inner = structureOf(member);
    depth = Math.max(depth, inner.depth);
    keys += inner.keys;
  }
  return { depth: depth + 1, keys };
}

// strings that would fool a scan that reads them wrong
const TRICKY = ['', 'a', '[', ']', '{', '}', ',', '"', '\\', '\\"', '"\\', '\\\\', '[[[', '}}}', '小程序', '😀', '\u0000', '\n', 'a"b\\c[d{e,f'];

const LONG_STRING_ALPHABET = ['a', 'a', 'a', 'a', 'a', 'a', '"', '\\', '[', '{', ',', '好', '\n'];

function randomValue(random: () => number, depth: number): unknown {
  const pick = random();
  if (depth > 6 || pick < 0.35) {
    const scalars = [
      () => TRICKY[Math.floor(random() * TRICKY.length)],
      // long enough to be searched with indexOf, with escapes at every distance from its start
      () => Array.from({ length: Math.floor(random() * 120) }, () => LONG_STRING_ALPHABET[Math.floor(random() * LONG_STRING_ALPHABET.length)]).join(''),
      () => Math.floor(random() * 1000),
      () => null,
      () => true,
    ];
    return scalars[Math.floor(random() * scalars.length)]();
  }
  const size = Math.floor(random() * 5);
  if (pick < 0.7) return Array.from({ length: size }, () => randomValue(random, depth + 1));
  return Object.fromEntries(Array.from({ length: size }, (_, i) => [`${TRICKY[Math.floor(random() * TRICKY.length)]}${i}`, randomValue(random, depth + 1)]));
}

describe('jsonStructureProblem', () => {
  const limits = { maxDepth: 3, maxKeys: 10 };

  it.each([
    ['a scalar', '42', null],
    ['depth at the limit', '[[[1]]]', null],
    ['depth over the limit', '[[[[1]]]]', 'depth'],
    ['objects count as levels too', '{"a":{"b":{"c":{}}}}', 'depth'],
    ['brackets inside strings do not count', '["[[[[", "{{{{"]', null],
    ['an escaped quote does not end a string', '["\\"[[[[", 1]', null],
    ['an escaped backslash before the closing quote does', '[["\\\\"], [[[1]]]]', 'depth'],
    ['members at the limit', '[1,2,3,4,5,6,7,8,9]', null],
    ['members over the limit', '[1,2,3,4,5,6,7,8,9,10,11]', 'keys'],
    ['object keys count', '{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11}', 'keys'],
    ['commas inside strings do not count', '["a,b,c,d,e,f,g,h,i,j,k,l"]', null],
    ['a long string with an escaped quote far in', `["${'a'.repeat(40)}\\"[[[[${'b'.repeat(40)}"]`, null],
    ['a long string ending in an escaped backslash', `["${'a'.repeat(40)}\\\\", [[[1]]]]`, 'depth'],
    ['a long string of escaped quotes', `["${'\\"'.repeat(100)}[[[["]`, null],
    ['an unterminated long string', `["${'a'.repeat(100)}`, null],
  ])('%s', (_name, text, expected) => {
    expect(scan(text, limits)).toBe(expected);
  });

  it('stops at the first level over the limit: 10,000 levels cost no more than 33', () => {
    const deep = Buffer.from('['.repeat(10_000) + ']'.repeat(10_000));
    expect(jsonStructureProblem(deep, { maxDepth: 32, maxKeys: 1000 })).toBe('depth');
  });

  it('agrees with JSON.parse on 2,000 random documents full of tricky strings', () => {
    let seed = 14;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2000; i += 1) {
      const value = randomValue(random, 0);
      const text = JSON.stringify(value, null, i % 2 === 0 ? undefined : 1);
      const { depth, keys } = structureOf(JSON.parse(text));
      expect(scan(text, { maxDepth: depth, maxKeys: keys })).toBeNull();
      if (depth > 0) expect(scan(text, { maxDepth: depth - 1, maxKeys: keys })).toBe('depth');
      if (keys > 0 && depth > 0) expect(scan(text, { maxDepth: depth, maxKeys: keys - 1 })).toBe('keys');
    }
  });
});

const objectWithKeys = (count: number): string => JSON.stringify(Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i])));

describe('the JSON body parser', () => {
  let app: FastifyInstance;
  let base: string;
  const rawBodies: Buffer[] = [];

  beforeAll(async () => {
    const adapter = new FastifyAdapter({ bodyLimit: 1_048_576 });
    app = adapter.getInstance();
    installJsonBodyParser(adapter, { maxDepth: 32, maxKeys: 1000 });
    // what the signed-request hashing sees: the bytes as sent, whatever the parser decides
    app.addHook('preParsing', (_request, _reply, payload, done) => {
      const chunks: Buffer[] = [];
      payload.on('data', (chunk: Buffer) => chunks.push(chunk));
      payload.on('end', () => rawBodies.push(Buffer.concat(chunks)));
      done(null, payload);
    });
    app.setErrorHandler((error, _request, reply) => {
      const { status, code } =
        error instanceof AppError ? error : { status: (error as { statusCode?: number }).statusCode ?? 500, code: (error as { code?: unknown }).code };
      void reply.status(status).send({ code });
    });
    app.post('/echo', async (request) => ({ body: request.body ?? null }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app.close();
  });

  const post = async (body: string | Buffer, contentType = 'application/json') => {
    const response = await fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: response.status, body: (await response.json()) as { code?: unknown; body?: unknown } };
  };

  it('parses ordinary JSON, +json types and a byte order mark', async () => {
    expect(await post('{"nickname":"小程序用户😀","items":[1,2]}')).toEqual({ status: 200, body: { body: { nickname: '小程序用户😀', items: [1, 2] } } });
    expect(await post('{"a":1}', 'application/merge-patch+json; charset=utf-8')).toEqual({ status: 200, body: { body: { a: 1 } } });
    expect(await post('\ufeff{"a":1}')).toEqual({ status: 200, body: { body: { a: 1 } } });
  });

  it.each([
    ['nested 10,000 levels', '['.repeat(10_000) + ']'.repeat(10_000), 1019],
    ['nested 33 levels of objects', '{"a":'.repeat(33) + '1' + '}'.repeat(33), 1019],
    ['2,000 keys', objectWithKeys(2000), 1020],
    ['a flat array of 100,000 elements', `[${'0,'.repeat(99_999)}0]`, 1020],
  ])('refuses a body %s with 400 and its code', async (_name, body, code) => {
    expect(await post(body)).toEqual({ status: 400, body: { code } });
  });

  it('takes the limits exactly: 32 levels and 1,000 keys pass', async () => {
    expect((await post('['.repeat(32) + ']'.repeat(32))).status).toBe(200);
    expect((await post(objectWithKeys(1000))).status).toBe(200);
  });

  it.each([
    ['a lone continuation byte', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x80, 0x22, 0x7d])],
    ['a truncated sequence', Buffer.concat([Buffer.from('{"a":"'), Buffer.from('好').subarray(0, 2), Buffer.from('"}')])],
    ['an overlong encoding of "/"', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
    ['an encoded surrogate', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
  ])('refuses invalid UTF-8 (%s) with 400 1021, and hands the raw bytes to preParsing', async (_name, body) => {
    rawBodies.length = 0;
    expect(await post(body)).toEqual({ status: 400, body: { code: 1021 } });
    expect(rawBodies).toEqual([body]);
  });

  it('keeps Fastify prototype-poisoning protection (as 1002, saying which keys) and its JSON errors', async () => {
    expect(await post('{"__proto__":{"admin":true}}')).toEqual({ status: 400, body: { code: 1002 } });
    expect(await post('{"constructor":{"prototype":{"admin":true}}}')).toEqual({ status: 400, body: { code: 1002 } });
    expect(await post('{"a":')).toEqual({ status: 400, body: { code: 'FST_ERR_CTP_INVALID_JSON_BODY' } });
    expect(await post('')).toEqual({ status: 400, body: { code: 'FST_ERR_CTP_EMPTY_JSON_BODY' } });
  });
});
