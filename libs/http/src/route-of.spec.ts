import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { routeOf } from './route-of';

describe('routeOf', () => {
  it('gives the route of the request, the same object to every hook of one request', async () => {
    const app = Fastify();
    const seen: unknown[] = [];
    app.addHook('preHandler', async (request) => {
      seen.push(routeOf(request));
    });
    app.addHook('onResponse', async (request) => {
      seen.push(routeOf(request));
    });
    app.get('/items/:id', { config: { rawResponse: true } }, async () => ({ ok: true }));
    // over real HTTP: Fastify's inject() loads an ESM-only package the unit runner cannot
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    for (const id of [7, 8]) expect((await fetch(`http://127.0.0.1:${port}/items/${id}`)).status).toBe(200);
    await app.close();
    expect(seen).toHaveLength(4);
    expect(seen[0]).toBe(seen[1]);
    expect(seen[2]).toBe(seen[3]);
    expect(seen[0]).not.toBe(seen[2]);
    expect(seen[0]).toMatchObject({ url: '/items/:id', method: 'GET', config: expect.objectContaining({ rawResponse: true }) });
  });
});
