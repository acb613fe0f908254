import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type EnvelopeBody, request, type RunningApp } from './support/app-harness';
import { parseRawResponse, rawExchange, trickle } from './support/raw-http';
import { useTestDatabase } from './support/test-database';
import { useWechatEmulator } from './support/wechat-emulator';

const nested = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);
// 1 MB of nesting: what took 1.2 s of CPU per request before issue 14
const ONE_MEGABYTE_NESTED = Buffer.from(nested(500_000));

/** CPU time (user + system) the process has used, in ms (clock ticks of 10 ms). */
function cpuMilliseconds(pid: number): number {
  // the fields after the command name, which is in parentheses and may contain spaces
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function rssMegabytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  if (!line) throw new Error(`no VmRSS for ${pid}`);
  return Number(line[1]) / 1024;
}

/**
 * POSTs `count` 1 MB nested bodies at once from a child process, so that pings sent meanwhile
 * measure the server rather than this process's own writes. Resolves when the child is sending;
 * `answers` resolves with each answer's "status code".
 */
async function sendFromAnotherProcess(url: string, count: number): Promise<{ answers: Promise<string[]> }> {
  const script = `
    const body = Buffer.from('['.repeat(500000) + ']'.repeat(500000));
    const send = () => fetch(process.argv[1], { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      .then(async (response) => response.status + ' ' + (await response.json()).code);
    // undici loads on the first fetch: done before the burst, which should be the only load
    fetch(process.argv[1].replace(/auth.*/, 'ping')).then(() => {
      process.stdout.write('sending\\n');
      return Promise.all(Array.from({ length: ${count} }, send));
    }).then((answers) => process.stdout.write(JSON.stringify(answers)));
  `;
  const child = spawn(process.execPath, ['-e', script, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const started = new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.startsWith('sending\n')) resolve();
    });
  });
  const exited = once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`sender exited with ${String(code)}`);
    return JSON.parse(output.slice('sending\n'.length)) as string[];
  });
  await Promise.race([started, exited]);
  return { answers: exited };
}

/** Hostile bodies and slow clients (issue 14, points 5, 6 and 8): the built app against MariaDB and Redis. */
describe('hostile input (production profile)', () => {
  const db = useTestDatabase();
  const wechat = useWechatEmulator();
  let app: RunningApp;
  let token: string;
  const api = (path: string) => `${app.baseUrl}/api/v1${path}`;

  beforeAll(async () => {
    app = await db.startApp({
      ...wechat.env,
      AUTH_KEY_PREFIX: `e2e:hostile:${randomBytes(4).toString('hex')}:`,
      RATE_LIMIT_KEY_PREFIX: `e2e:rl:hostile:${randomBytes(4).toString('hex')}:`,
      // the hostile bodies below all go to the login route: its per-IP limit is not under test
      RATE_LIMIT_ENABLED: 'false',
    });
    token = (await wechat.signIn(app)).accessToken;
  });

  const login = (body: string | Buffer) =>
    request<EnvelopeBody>(api('/auth/wechat/login'), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const patchMe = (body: string | Buffer, contentType = 'application/json') =>
    request<EnvelopeBody<{ nickname: string }>>(api('/users/me'), {
      method: 'PATCH',
      headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
      body,
    });
  const echo = (body: unknown) =>
    request<EnvelopeBody<Record<string, unknown>>>(api('/diagnostics/echo'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const timed = async <T>(send: () => Promise<T>): Promise<{ result: T; ms: number }> => {
    const started = performance.now();
    const result = await send();
    return { result, ms: performance.now() - started };
  };

  describe('deeply nested and oversized JSON is refused while parsing', () => {
    it('answers 10,000 levels on the public login route with 400 1019, as fast as a ping', async () => {
      const pings: number[] = [];
      const deep: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        pings.push((await timed(() => request(api('/ping')))).ms);
        const { result, ms } = await timed(() => login(nested(10_000)));
        expect(result.status).toBe(400);
        expect(result.body).toEqual({ code: 1019, message: expect.stringContaining('nested too deeply'), data: null, requestId: expect.any(String) });
        expect(result.headers.get('x-request-id')).toBe(result.body.requestId);
        deep.push(ms);
      }
      // the bound, over what this machine takes for a ping right now
      expect(median(deep)).toBeLessThan(50 + median(pings));
    });

    it('answers 10,000 levels on PATCH /users/me (signed in) with 400 1019, and changes nothing', async () => {
      const before = (await request<EnvelopeBody<{ nickname: string }>>(api('/users/me'), { headers: { authorization: `Bearer ${token}` } })).body.data;
      const refused = await patchMe(`{"nickname":${nested(10_000)}}`);
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe(1019);
      const after = (await request<EnvelopeBody<{ nickname: string }>>(api('/users/me'), { headers: { authorization: `Bearer ${token}` } })).body.data;
      expect(after).toEqual(before);
    });

    it('answers a body with more keys than HTTP_JSON_MAX_KEYS with 400 1020', async () => {
      const manyKeys = JSON.stringify(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 1])));
      const refused = await login(manyKeys);
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe(1020);
      expect((await login(`[${'0,'.repeat(200_000)}0]`)).body.code).toBe(1020);
    });

    it('keeps the event loop free while ten 1 MB nested bodies arrive: ping is never held for a body', async () => {
      // as long as the loaded phase takes, so both see this shared machine's noise alike
      const unloaded: number[] = [];
      for (const started = performance.now(); performance.now() - started < 1500 || unloaded.length < 30; ) {
        unloaded.push((await timed(() => request(api('/ping')))).ms);
      }

      const cpuBefore = cpuMilliseconds(app.child.process.pid!);
      const { answers } = await sendFromAnotherProcess(api('/auth/wechat/login'), 10);
      let sending = true;
      const done = answers.finally(() => (sending = false));
      const loaded: number[] = [];
      while (sending) {
        const { result, ms } = await timed(() => request(api('/ping')));
        expect(result.status).toBe(200);
        loaded.push(ms);
      }
      expect(await done).toEqual(Array.from({ length: 10 }, () => '400 1019'));
      const cpuSpent = cpuMilliseconds(app.child.process.pid!) - cpuBefore;
      expect(loaded.length).toBeGreaterThan(0);
      // before issue 14 three such bodies held ping for 2.4 s (each one 1.2 s of parsing). The bound sits
      // well below one body's parse and well above a loaded machine's scheduling noise (a 50 ms bound
      // failed at 140 ms while another process saturated both cores): a test, not a benchmark
      expect(Math.max(...loaded)).toBeLessThan(400 + Math.max(...unloaded));
      // and what the server spent on them, pings included (it was 1.2 s for each body)
      expect(cpuSpent).toBeLessThan(1000);
    });

    it('keeps RSS within 20 MB over 20 such requests', async () => {
      const pid = app.child.process.pid!;
      // warm: the first large bodies grow the heap's spaces once
      for (let i = 0; i < 3; i += 1) expect((await login(ONE_MEGABYTE_NESTED)).status).toBe(400);
      const before = rssMegabytes(pid);
      for (let i = 0; i < 20; i += 1) expect((await login(ONE_MEGABYTE_NESTED)).body.code).toBe(1019);
      const after = rssMegabytes(pid);
      expect(after - before).toBeLessThan(20);
    });
  });

  describe('text hygiene', () => {
    it('refuses invalid UTF-8 in a JSON body with 400 1021 instead of storing U+FFFD', async () => {
      const nickname = '干净的名字';
      expect((await patchMe(JSON.stringify({ nickname }))).status).toBe(200);
      const broken = Buffer.concat([Buffer.from('{"nickname":"bad'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
      const refused = await patchMe(broken);
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe(1021);
      expect((await patchMe(broken, 'application/merge-patch+json')).body.code).toBe(1021);
      expect(await db.query('SELECT nickname FROM users WHERE nickname LIKE ?', ['bad%'])).toEqual([]);
    });

    it.each([
      ['NUL (\\u0000 in the JSON text)', 'ab\u0000cd'],
      ['DEL', 'ab\u007f'],
      ['a line break in a one-line field', 'first\nsecond'],
      ['a terminal escape', '\u001b[2Jhi'],
      ['a lone surrogate', 'ab\ud800'],
    ])('refuses %s in the nickname with 400 1001, naming the field', async (_name, nickname) => {
      const refused = await patchMe(JSON.stringify({ nickname }));
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe(1001);
      expect(refused.body.message).toContain('nickname must not contain control characters');
    });

    it('refuses NUL in the login code on the public route', async () => {
      const refused = await login(JSON.stringify({ code: 'abc\u0000def' }));
      expect([refused.status, refused.body.code]).toEqual([400, 1001]);
    });

    it('lets a multi-line field have line breaks, and still not NUL', async () => {
      const accepted = await echo({ name: 'remark', note: '第一行\n第二行\r\n\t缩进' });
      expect(accepted.status).toBe(200);
      expect(accepted.body.data).toEqual({ name: 'remark', note: '第一行\n第二行\r\n\t缩进' });
      const refused = await echo({ name: 'remark', note: 'line\u0000' });
      expect([refused.status, refused.body.code]).toEqual([400, 1001]);
      expect(refused.body.message).toContain('note must not contain control characters other than line breaks and tabs');
    });
  });
});

describe('slow clients are cut at HTTP_REQUEST_TIMEOUT_MS (production profile)', () => {
  const db = useTestDatabase();
  let app: RunningApp;
  const TIMEOUT_MS = 3000;
  // the bound: within the timeout plus 5 s (Node checked every 30 s before issue 14)
  const CUT_WITHIN_MS = TIMEOUT_MS + 5000;

  beforeAll(async () => {
    app = await db.startApp({ HTTP_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) });
  });

  function expect408(received: string): void {
    const response = parseRawResponse(received);
    expect(response.status).toBe(408);
    expect(response.body).toEqual({ code: 1017, message: expect.any(String), data: null, requestId: expect.any(String) });
    expect(response.headers['x-request-id']).toBe((response.body as { requestId: string }).requestId);
  }

  it('cuts a body trickled a byte every 200 ms', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(200) });
    const exchange = await rawExchange(
      app.baseUrl,
      async (socket) => {
        socket.write(`POST /api/v1/diagnostics/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
        await trickle(socket, body, 200);
      },
      CUT_WITHIN_MS + 2000,
    );
    expect(exchange.closedAfterMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(exchange.closedAfterMs).toBeLessThan(CUT_WITHIN_MS);
    expect408(exchange.received);
  });

  it('cuts headers trickled a byte every 200 ms, with a 408 in the envelope', async () => {
    const exchange = await rawExchange(
      app.baseUrl,
      (socket) => trickle(socket, `GET /api/v1/ping HTTP/1.1\r\nHost: x\r\nX-Slow: ${'s'.repeat(200)}\r\n\r\n`, 200),
      CUT_WITHIN_MS + 2000,
    );
    expect(exchange.closedAfterMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(exchange.closedAfterMs).toBeLessThan(CUT_WITHIN_MS);
    expect408(exchange.received);
  });

  it('still serves a request that is merely slow to answer', async () => {
    const slow = await request<EnvelopeBody<{ sleptMs: number }>>(`${app.baseUrl}/api/v1/diagnostics/slow?ms=${TIMEOUT_MS + 500}`);
    expect(slow.status).toBe(200);
    expect(slow.body.data).toEqual({ sleptMs: TIMEOUT_MS + 500 });
  });
});
