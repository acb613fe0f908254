import type { AddressInfo } from 'node:net';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants.js';
import type { FastifyInstance } from 'fastify';
import { AppError } from './app-error';
import { Consumes, installBodyMediaTypes } from './body-media-type';
import { RawResponse } from './envelope';
import { installJsonBodyParser } from './json-body-parser';

describe('request bodies are JSON unless a route says otherwise', () => {
  let app: FastifyInstance;
  let base: string;
  // a preParsing hook sees the body stream (the signed-request hashing is one): refused bodies must never get there
  const bodiesRead: string[] = [];
  const routeHooks = new Map<string, unknown[]>();

  beforeAll(async () => {
    // Nest's adapter, as in the app: the JSON parsers are registered through it
    const adapter = new FastifyAdapter({ bodyLimit: 1024 });
    app = adapter.getInstance();
    installBodyMediaTypes(app);
    installJsonBodyParser(adapter, { maxDepth: 32, maxKeys: 1000 });
    app.addHook('onRoute', (route) => {
      routeHooks.set(`${[route.method].flat().join(',')} ${route.url}`, [route.onRequest ?? []].flat());
    });
    app.addHook('preParsing', (request, _reply, payload, done) => {
      bodiesRead.push(request.url);
      done(null, payload);
    });
    // what AllExceptionsFilter does with the error, reduced to status and code
    app.setErrorHandler((error, _request, reply) => {
      const { status, code } =
        error instanceof AppError ? error : { status: (error as { statusCode?: number }).statusCode ?? 500, code: (error as { code?: unknown }).code };
      void reply.status(status).send({ code });
    });
    app.post('/echo', async (request) => ({ body: request.body ?? null }));
    app.delete('/items/:id', async () => ({ deleted: true }));
    app.get('/read', async () => ({ read: true }));
    app.route({ method: ['GET', 'POST'], url: '/both', handler: async () => ({ ok: true }) });
    // what @fastify/multipart registers, for the route that opts in below
    app.addContentTypeParser('multipart/form-data', (_request, payload, done) => {
      payload.resume();
      payload.on('end', () => done(null, { multipart: true }));
    });
    app.post('/upload', { config: { consumes: ['multipart/form-data'] } }, async (request) => ({ body: request.body }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app.close();
  });

  const send = async (path: string, init: RequestInit) => {
    const response = await fetch(`${base}${path}`, init);
    return { status: response.status, body: (await response.json()) as { code?: unknown; body?: unknown } };
  };
  const post = (contentType: string | undefined, body: string, path = '/echo') =>
    send(path, { method: 'POST', headers: contentType === undefined ? {} : { 'content-type': contentType }, body });

  it.each([
    ['text/plain'],
    ['text/plain; charset=utf-8'],
    ['application/x-www-form-urlencoded'],
    ['application/xml'],
    ['multipart/form-data; boundary=x'],
    ['not a media type'],
  ])('refuses %s on a JSON route with 415 before reading the body', async (contentType) => {
    bodiesRead.length = 0;
    const response = await post(contentType, '{"name":"a"}');
    expect(response).toEqual({ status: 415, body: { code: 1004 } });
    expect(bodiesRead).toEqual([]);
  });

  it('refuses a body sent without a Content-Type', async () => {
    const response = await send('/echo', { method: 'POST', body: new Blob(['{"name":"a"}']) });
    expect(response).toEqual({ status: 415, body: { code: 1004 } });
  });

  it.each([
    ['application/json'],
    ['application/json; charset=utf-8'],
    ['Application/JSON;Charset=UTF-8'],
    ['application/merge-patch+json'],
    ['application/vnd.api+json; charset=utf-8'],
  ])('parses %s as JSON', async (contentType) => {
    bodiesRead.length = 0;
    expect(await post(contentType, '{"name":"a"}')).toEqual({ status: 200, body: { body: { name: 'a' } } });
    expect(bodiesRead).toEqual(['/echo']);
  });

  it('keeps JSON errors and the body limit for +json types', async () => {
    expect((await post('application/merge-patch+json', '{"name":')).status).toBe(400);
    expect((await post('application/merge-patch+json', JSON.stringify({ name: 'x'.repeat(2000) }))).status).toBe(413);
  });

  it('lets requests without a body through without a Content-Type', async () => {
    expect(await send('/echo', { method: 'POST' })).toEqual({ status: 200, body: { body: null } });
    expect((await send('/items/3', { method: 'DELETE' })).status).toBe(200);
  });

  it('adds nothing to GET routes, the hot ones: the check is a hook of the routes that take a body', () => {
    expect(routeHooks.get('GET /read')).toEqual([]);
    expect(routeHooks.get('POST /echo')).toHaveLength(1);
    expect(routeHooks.get('DELETE /items/:id')).toHaveLength(1);
  });

  it('leaves bodyless methods alone, also on a route that serves both kinds', async () => {
    expect((await send('/read', { headers: { 'content-type': 'text/plain' } })).status).toBe(200);
    expect((await send('/both', { headers: { 'content-type': 'text/plain' } })).status).toBe(200);
    expect((await send('/both', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })).status).toBe(415);
  });

  it('lets a route opt in to another type, which then replaces JSON', async () => {
    const upload = await post('multipart/form-data; boundary=x', '--x--', '/upload');
    expect(upload).toEqual({ status: 200, body: { body: { multipart: true } } });
    expect((await post('application/json', '{}', '/upload')).status).toBe(415);
  });
});

describe('@Consumes()', () => {
  it('adds to the route config of other decorators, in either order', () => {
    class Uploads {
      @Consumes('multipart/form-data')
      @RawResponse()
      first(): void {}

      @RawResponse()
      @Consumes('Multipart/Form-Data')
      second(): void {}
    }
    // the key Nest reads the Fastify route config from when it registers the route
    for (const handler of [Uploads.prototype.first, Uploads.prototype.second]) {
      expect(Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler)).toEqual({ rawResponse: true, consumes: ['multipart/form-data'] });
    }
  });

  it('refuses what is not a media type or range', () => {
    expect(() => Consumes()).toThrow(/media types/);
    expect(() => Consumes('json')).toThrow(/media types/);
    expect(() => Consumes('*/*; q=1')).toThrow(/media types/);
    expect(() => Consumes('image/*', 'application/*+json')).not.toThrow();
  });
});
