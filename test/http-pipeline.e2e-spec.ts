import { useTestDatabase } from './support/test-database';
import { EnvelopeBody, request, RunningApp } from './support/app-harness';

describe('HTTP pipeline (production profile, real MariaDB + Redis)', () => {
  const db = useTestDatabase();
  let running: RunningApp;
  let api: string;

  beforeAll(async () => {
    running = await db.startApp({ BODY_LIMIT_BYTES: '1048576' });
    api = `${running.baseUrl}/api/v1`;
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
