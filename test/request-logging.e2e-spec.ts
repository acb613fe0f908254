import { request } from './support/app-harness';
import { useTestDatabase } from './support/test-database';

interface LogLine {
  level: number;
  msg: string;
  err?: Record<string, unknown>;
  requestId?: string;
  serverRequestId?: string;
  method?: string;
  url?: string;
  route?: string;
  status?: number;
  durationMs?: number;
}

describe('request logs (JSON, production profile)', () => {
  const db = useTestDatabase();
  let lines: LogLine[];
  let rawOutput: string;

  beforeAll(async () => {
    const running = await db.startApp({ LOG_LEVEL: 'info' });
    const api = `${running.baseUrl}/api/v1`;
    await request(`${api}/diagnostics/items/4711`, { headers: { 'x-request-id': 'log-check-1' } });
    // no caller id, then one caller id on two requests
    await request(`${api}/diagnostics/items/4712`);
    for (const item of [4713, 4714]) await request(`${api}/diagnostics/items/${item}`, { headers: { 'x-request-id': 'log-check-twice' } });
    await request(`${api}/diagnostics/echo?access_token=tok-secret-1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer hdr-secret-2', 'x-request-id': 'log-check-2' },
      body: JSON.stringify({ name: 'pw-secret-3' }),
    });
    // the second insert of one phone fails in the database: an unexpected 500 (AllExceptionsFilter)
    for (const attempt of [1, 2]) {
      await request(`${api}/diagnostics/contacts?access_token=tok-secret-4`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': `log-check-insert-${attempt}` },
        body: JSON.stringify({ phone: '13912345678' }),
      });
    }
    await request(`${running.baseUrl}/health/ready`, { headers: { 'x-request-id': 'log-check-probe' } });
    await request(`${running.baseUrl}/no/such/route`, { headers: { 'x-request-id': 'log-check-404' } });
    // lines are buffered; a graceful stop flushes them
    await running.close();
    rawOutput = running.child.output();
    lines = rawOutput
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  });

  it('writes one line per request with request id, method, route template, status and duration', () => {
    const mine = lines.filter((line) => line.requestId === 'log-check-1');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      level: 30,
      method: 'GET',
      url: '/api/v1/diagnostics/items/4711',
      route: '/api/v1/diagnostics/items/:id',
      status: 200,
    });
    expect(typeof mine[0].durationMs).toBe('number');
  });

  it("puts the server's own id beside a caller's request id, and only then", () => {
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(lines.find((line) => line.requestId === 'log-check-1')?.serverRequestId).toMatch(UUID);
    // without a caller id the echoed id is a UUID of ours: no second id on the line
    const own = lines.find((line) => line.url === '/api/v1/diagnostics/items/4712');
    expect(own?.requestId).toMatch(UUID);
    expect(own).not.toHaveProperty('serverRequestId');
    // a caller that sends one id twice cannot give the two requests one server id
    const twice = lines.filter((line) => line.requestId === 'log-check-twice');
    expect(twice.map((line) => line.url)).toEqual(['/api/v1/diagnostics/items/4713', '/api/v1/diagnostics/items/4714']);
    expect(twice[0].serverRequestId).toMatch(UUID);
    expect(twice[1].serverRequestId).toMatch(UUID);
    expect(twice[0].serverRequestId).not.toBe(twice[1].serverRequestId);
  });

  it('labels unmatched routes without inventing a template', () => {
    expect(lines.find((line) => line.requestId === 'log-check-404')).toMatchObject({ route: 'unmatched', status: 404 });
  });

  it('keeps probes out of info-level logs', () => {
    expect(lines.some((line) => line.requestId === 'log-check-probe')).toBe(false);
  });

  it('never logs tokens from the query, headers or body', () => {
    expect(lines.find((line) => line.requestId === 'log-check-2')?.url).toBe(
      '/api/v1/diagnostics/echo?access_token=%5BREDACTED%5D',
    );
    for (const secret of ['tok-secret-1', 'hdr-secret-2', 'pw-secret-3']) expect(rawOutput).not.toContain(secret);
  });

  it('logs a failing insert (500) with the error code and stack, never the phone number or a token from the URL', () => {
    const failure = lines.find((line) => line.requestId === 'log-check-insert-2' && line.err !== undefined);
    expect(failure).toMatchObject({
      msg: 'POST /api/v1/diagnostics/contacts?access_token=%5BREDACTED%5D failed with 500',
      err: { name: 'QueryFailedError', code: 'ER_DUP_ENTRY', errno: 1062, message: expect.stringMatching(/^Duplicate entry '\?' for key/) },
    });
    expect(failure?.err?.stack).toMatch(/\n\s+at /);
    expect(lines.find((line) => line.requestId === 'log-check-insert-2' && line.status !== undefined)).toMatchObject({ status: 500 });
    expect(rawOutput).not.toContain('13912345678');
    expect(rawOutput).not.toContain('tok-secret-4');
  });
});

describe('request log buffering (production profile)', () => {
  const db = useTestDatabase();

  it('writes a buffered line out while the service idles, without waiting for more traffic or a stop', async () => {
    const running = await db.startApp({ LOG_LEVEL: 'info' });
    try {
      await request(`${running.baseUrl}/api/v1/ping`, { headers: { 'x-request-id': 'lonely-request-1' } });
      // one short line is far below the 12 KB buffer; only the periodic flush can write it
      const deadline = Date.now() + 3000;
      while (!running.child.output().includes('lonely-request-1') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(running.child.output()).toContain('"requestId":"lonely-request-1"');
      expect(running.child.process.exitCode).toBeNull();
    } finally {
      await running.close();
    }
  });
});
