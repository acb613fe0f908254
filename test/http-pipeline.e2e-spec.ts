import { randomBytes } from 'node:crypto';
import { createWechatEmulator } from '../apps/wechat-emulator/src/emulator';
import { useTestDatabase } from './support/test-database';
import { EnvelopeBody, request, RunningApp } from './support/app-harness';

describe('HTTP pipeline (production profile, real MariaDB + Redis)', () => {
  const db = useTestDatabase();
  let running: RunningApp;
  let api: string;
  // logins (any code works) for the real sign-in and signed-in routes below
  const wechat = createWechatEmulator();

  beforeAll(async () => {
    await wechat.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = wechat.app.server.address() as { port: number };
    running = await db.startApp({
      BODY_LIMIT_BYTES: '1048576',
      WECHAT_API_BASE: `http://127.0.0.1:${port}`,
      RATE_LIMIT_KEY_PREFIX: `e2e:rl:pipeline:${randomBytes(4).toString('hex')}:`,
    });
    api = `${running.baseUrl}/api/v1`;
  });

  afterAll(async () => {
    await wechat.app.close();
  });

  const json = (body: string, contentType = 'application/json'): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });

  function expectErrorEnvelope(body: EnvelopeBody, code: number): void {
    expect(body.code).toBe(code);
    expect(body.data).toBeNull();
    expect(typeof body.message).toBe('string');
    expect(body.requestId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    expect(Object.keys(body).sort()).toEqual(['code', 'data', 'message', 'requestId']);
  }

  it('wraps a success in the envelope and echoes the request id', async () => {
    const response = await request(`${api}/ping`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ code: 0, message: 'ok', data: { pong: true }, requestId: expect.any(String) });
    expect(response.headers.get('x-request-id')).toBe(response.body.requestId);
  });

  it('keeps a sane caller request id and replaces one that could forge log lines', async () => {
    const kept = await request(`${api}/ping`, { headers: { 'x-request-id': 'gw-123.abc:9' } });
    expect(kept.body.requestId).toBe('gw-123.abc:9');
    expect(kept.headers.get('x-request-id')).toBe('gw-123.abc:9');

    const replaced = await request(`${api}/ping`, { headers: { 'x-request-id': 'evil id\twith spaces' } });
    expect(replaced.body.requestId).not.toContain('evil');
    expect(replaced.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(replaced.headers.get('x-request-id')).toBe(replaced.body.requestId);
  });

  it('answers a handler that returns nothing with an envelope carrying data null', async () => {
    const response = await request(`${api}/diagnostics/items/5`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ code: 0, message: 'ok', data: null, requestId: expect.any(String) });
  });

  it('passes a valid body through validation', async () => {
    const response = await request(`${api}/diagnostics/echo`, json(JSON.stringify({ name: '小程序🎉', quantity: 3 })));
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ name: '小程序🎉', quantity: 3 });
  });

  const badInput: Array<[string, number, number, () => Promise<{ status: number; body: EnvelopeBody; text: string }>]> = [
    ['malformed JSON', 400, 1002, () => request(`${api}/diagnostics/echo`, json('{"name": "a",'))],
    ['empty JSON body', 400, 1002, () => request(`${api}/diagnostics/echo`, json(''))],
    ['unknown field', 400, 1001, () => request(`${api}/diagnostics/echo`, json('{"name":"a","role":"admin"}'))],
    ['wrong type', 400, 1001, () => request(`${api}/diagnostics/echo`, json('{"name":"a","quantity":"three"}'))],
    ['missing required field', 400, 1001, () => request(`${api}/diagnostics/echo`, json('{"quantity":1}'))],
    ['wrong query type', 400, 1001, () => request(`${api}/diagnostics/slow?ms=soon`)],
    ['wrong path param type', 400, 1015, () => request(`${api}/diagnostics/items/abc`)],
    ['body over the 1 MB limit', 413, 1003, () => request(`${api}/diagnostics/echo`, json(JSON.stringify({ name: 'x'.repeat(1_100_000) })))],
    ['unsupported media type', 415, 1004, () => request(`${api}/diagnostics/echo`, json('name=a', 'application/xml'))],
    ['unknown route', 404, 1005, () => request(`${api}/no-such-route`)],
    ['unknown route outside the prefix', 404, 1005, () => request(`${running.baseUrl}/wp-admin.php`)],
    ['unexpected server error', 500, 1000, () => request(`${api}/diagnostics/crash`)],
  ];

  it.each(badInput)('%s -> HTTP %d, code %d, no stack', async (_name, status, code, send) => {
    const response = await send();
    expect(response.status).toBe(status);
    expectErrorEnvelope(response.body, code);
    expect(response.text).not.toMatch(/\bat .+\.(js|ts):\d+/);
    expect(response.text).not.toContain('stack');
    expect(response.text).not.toContain('/etc/secret');
  });

  describe('request bodies are JSON: anything else is 415 (1004) on every JSON route', () => {
    const loginBody = () => JSON.stringify({ code: `pipeline-${randomBytes(6).toString('hex')}` });
    const signIn = async (): Promise<string> => {
      const response = await request<EnvelopeBody<{ accessToken: string }>>(`${api}/auth/wechat/login`, json(loginBody()));
      expect(response.status).toBe(200);
      return response.body.data!.accessToken;
    };
    let token: string;
    beforeAll(async () => {
      token = await signIn();
    });

    const routes: Record<string, { method: string; path: string; body: () => string; signedIn: boolean }> = {
      'diagnostics echo': { method: 'POST', path: '/diagnostics/echo', body: () => '{"name":"a"}', signedIn: false },
      'POST /auth/wechat/login (public)': { method: 'POST', path: '/auth/wechat/login', body: loginBody, signedIn: false },
      'PATCH /users/me (signed in)': { method: 'PATCH', path: '/users/me', body: () => '{"nickname":"媒体类型"}', signedIn: true },
    };
    const NONE = '(no Content-Type)';
    const send = (name: string, contentType: string, body = routes[name].body()) => {
      const route = routes[name];
      const headers: Record<string, string> = route.signedIn ? { authorization: `Bearer ${token}` } : {};
      if (contentType !== NONE) headers['content-type'] = contentType;
      // a Blob without a type sends no Content-Type at all, where a string would send text/plain
      return request(`${api}${route.path}`, { method: route.method, headers, body: contentType === NONE ? new Blob([body]) : body });
    };

    // a JSON text sent as text/plain is what used to reach validation (Fastify parses text/plain by default)
    const refused: Array<[string, string, string | null]> = [];
    for (const name of Object.keys(routes)) {
      refused.push(
        [name, 'text/plain', null],
        [name, 'text/plain; charset=utf-8', null],
        [name, 'application/x-www-form-urlencoded', 'name=a'],
        [name, 'application/xml', '<name>a</name>'],
      );
    }
    refused.push(['diagnostics echo', NONE, null], ['diagnostics echo', 'multipart/form-data; boundary=x', '--x--']);

    it.each(refused)('%s with %s -> 415, code 1004', async (name, contentType, body) => {
      const response = await send(name, contentType, body ?? undefined);
      expect(response.status).toBe(415);
      expectErrorEnvelope(response.body, 1004);
    });

    it.each(Object.keys(routes))('%s accepts application/json; charset=utf-8', async (name) => {
      const response = await send(name, 'application/json; charset=utf-8');
      expect(response.status).toBe(200);
      expect(response.body.code).toBe(0);
    });

    it('parses +json types as JSON and keeps their errors', async () => {
      const patched = await send('PATCH /users/me (signed in)', 'application/merge-patch+json', '{"nickname":"合并补丁"}');
      expect(patched.status).toBe(200);
      expect(patched.body.data).toMatchObject({ nickname: '合并补丁' });
      const malformed = await send('diagnostics echo', 'application/vnd.api+json; charset=utf-8', '{"name":');
      expect(malformed.status).toBe(400);
      expectErrorEnvelope(malformed.body, 1002);
      const tooLarge = await send('diagnostics echo', 'application/merge-patch+json', JSON.stringify({ name: 'x'.repeat(1_100_000) }));
      expect(tooLarge.status).toBe(413);
      expectErrorEnvelope(tooLarge.body, 1003);
    });

    it('answers a body far over the limit with its 413, not a reset connection', async () => {
      // the refusal comes before the body is all sent; the answer waits until the rest is read and dropped
      for (const megabytes of [5, 5, 20]) {
        const tooLarge = await send('diagnostics echo', 'application/json', JSON.stringify({ name: 'x'.repeat(megabytes * 1024 * 1024) }));
        expect([megabytes, tooLarge.status]).toEqual([megabytes, 413]);
        expectErrorEnvelope(tooLarge.body, 1003);
      }
    });

    it('does not ask requests without a body for a Content-Type', async () => {
      const logout = await request(`${api}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${await signIn()}` } });
      expect(logout.status).toBe(200);
      expect(logout.body.data).toEqual({ loggedOut: true });
      expect((await request(`${api}/diagnostics/items/9`, { method: 'DELETE' })).status).toBe(200);
      expect((await request(`${api}/ping`, { headers: { 'content-type': 'text/plain' } })).status).toBe(200);
    });
  });

  it('names the offending fields in validation messages', async () => {
    const response = await request(`${api}/diagnostics/echo`, json('{"name":"a","role":"admin"}'));
    expect(response.body.message).toContain('role');
  });

  it('serves the OpenAPI document generated from the controllers', async () => {
    const response = await request<{ openapi: string; paths: Record<string, unknown> }>(`${running.baseUrl}/docs-json`);
    expect(response.status).toBe(200);
    expect(response.body.openapi).toMatch(/^3\./);
    expect(Object.keys(response.body.paths)).toEqual(expect.arrayContaining(['/api/v1/ping', '/health/ready']));
  });
});
