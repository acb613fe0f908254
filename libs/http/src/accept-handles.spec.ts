import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addAcceptHandles, type AcceptHandles } from './accept-handles';

/** Descriptors of this process that refer to the same socket as the server's own. */
function descriptorsOf(server: Server): number {
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  const socket = readlinkSync(`/proc/self/fd/${fd}`);
  return readdirSync('/proc/self/fd').filter((entry) => {
    try {
      return readlinkSync(`/proc/self/fd/${entry}`) === socket;
    } catch {
      return false; // the descriptor readdir itself used, already closed
    }
  }).length;
}

function fetchOnNewConnection(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/', agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('addAcceptHandles', () => {
  let server: Server;
  let handles: AcceptHandles | undefined;
  let port: number;

  beforeEach(async () => {
    server = createServer((_request, response) => response.end('served'));
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0, backlog: 2048 }, resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    await handles?.close();
    handles = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('adds the asked number of descriptors for the same listening socket', async () => {
    const errors: Error[] = [];
    handles = addAcceptHandles(server, 4, { backlog: 2048, onError: (error) => errors.push(error) });
    await handles.ready;

    expect(errors).toEqual([]);
    expect(handles.count).toBe(4);
    expect(descriptorsOf(server)).toBe(5);
  });

  it('serves connections accepted on the extra descriptors through the HTTP server', async () => {
    handles = addAcceptHandles(server, 4, { backlog: 2048 });
    await handles.ready;

    const responses = await Promise.all(Array.from({ length: 40 }, () => fetchOnNewConnection(port)));

    expect(responses.every((response) => response.status === 200 && response.body === 'served')).toBe(true);
    expect(handles.accepted).toBeGreaterThan(0);
  });

  it('keeps the accept queue length the server listened with', async () => {
    handles = addAcceptHandles(server, 2, { backlog: 2048 });
    await handles.ready;

    // ss shows a listening socket's backlog in the Send-Q column
    const line = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim();
    expect(line.split(/\s+/)[2]).toBe('2048');
  });

  it('closes its descriptors and leaves the server serving on its own', async () => {
    handles = addAcceptHandles(server, 3, { backlog: 2048 });
    await handles.ready;

    await handles.close();

    expect(handles.count).toBe(0);
    expect(descriptorsOf(server)).toBe(1);
    await expect(fetchOnNewConnection(port)).resolves.toEqual({ status: 200, body: 'served' });
  });

  it('does nothing when asked for none', async () => {
    handles = addAcceptHandles(server, 0, { backlog: 2048 });
    await handles.ready;

    expect(handles.count).toBe(0);
    expect(descriptorsOf(server)).toBe(1);
  });
});
