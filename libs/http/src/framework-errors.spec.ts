import { createServer, request as httpRequest, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { answerClientError, clientErrorResponse, withHostRule } from './framework-errors';

/** Splits a raw HTTP/1.1 response into its status, headers and JSON body. */
function parseRaw(raw: string): { status: number; headers: Record<string, string>; body: Record<string, unknown> } {
  const [head, body] = raw.split('\r\n\r\n');
  const [statusLine, ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  expect(Number(headers['content-length'])).toBe(Buffer.byteLength(body));
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) as Record<string, unknown> };
}

/** Writes raw bytes on a fresh connection and resolves with everything read until the server closes it. */
function sendRawTo(port: number, bytes: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer')));
  });
}

describe('clientErrorResponse', () => {
  it.each([
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 1017],
    ['HPE_HEADER_OVERFLOW', 431, 1024],
    ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 413, 1003],
    ['HPE_INVALID_METHOD', 400, 1022],
    [undefined, 400, 1022],
  ])('answers %s with %d in the envelope, with the request id as header and field', (code, status, envelopeCode) => {
    const response = parseRaw(clientErrorResponse({ code }, 'id-123'));
    expect(response.status).toBe(status);
    expect(response.headers).toMatchObject({ 'x-request-id': 'id-123', connection: 'close', 'content-type': 'application/json; charset=utf-8' });
    expect(response.body).toEqual({ code: envelopeCode, message: expect.any(String), data: null, requestId: 'id-123' });
  });
});

describe('answerClientError on a real server', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer({ maxHeaderSize: 1024 }, (_request, response) => response.end('ok'));
    server.on('clientError', answerClientError);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const sendRaw = (bytes: string) => sendRawTo(port, bytes);

  it('answers garbage with 400 1022 and a fresh request id, then closes', async () => {
    const response = parseRaw(await sendRaw('NOT HTTP AT ALL\r\n\r\n'));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 1022, data: null });
    expect(response.headers['x-request-id']).toBe(response.body.requestId);
    expect(response.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers headers over maxHeaderSize with 431 1024', async () => {
    const response = parseRaw(await sendRaw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`));
    expect(response.status).toBe(431);
    expect(response.body).toMatchObject({ code: 1024 });
  });

  it('leaves well-formed requests alone', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      httpRequest({ port, host: '127.0.0.1', path: '/' }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    expect(body).toBe('ok');
  });
});

describe('withHostRule: exactly one Host header on HTTP/1.1, answered in the envelope', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer({ requireHostHeader: false }, withHostRule((request, response) => response.end(`served ${request.headers.host ?? '-'}`)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const sendRaw = (bytes: string) => sendRawTo(port, bytes);

  it.each([
    ['no Host', 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n', /no Host header/],
    ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\nConnection: close\r\n\r\n', /more than one Host header/],
  ])('answers %s with 400 1022 and closes', async (_name, bytes, message) => {
    const response = parseRaw(await sendRaw(bytes));
    expect(response.status).toBe(400);
    expect(response.headers).toMatchObject({ connection: 'close', 'content-type': 'application/json; charset=utf-8' });
    expect(response.body).toEqual({ code: 1022, message: expect.stringMatching(message), data: null, requestId: response.headers['x-request-id'] });
  });

  it('serves one Host on HTTP/1.1, and HTTP/1.0 without one', async () => {
    expect(await sendRaw('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')).toMatch(/served a$/);
    expect(await sendRaw('GET / HTTP/1.0\r\n\r\n')).toMatch(/served -$/);
  });
});
