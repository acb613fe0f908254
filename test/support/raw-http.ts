import { connect, type Socket } from 'node:net';

/** What came back on a raw connection, and when it closed (ms after it opened). */
export interface RawExchange {
  received: string;
  closedAfterMs: number;
}

/** The status, headers and JSON body of the first response in `raw` (HTTP/1.1, Content-Length). */
export function parseRawResponse(raw: string): { status: number; headers: Record<string, string>; body: unknown } {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd === -1) throw new Error(`no HTTP response in ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine, ...headerLines] = raw.slice(0, headEnd).split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  const length = Number(headers['content-length'] ?? 0);
  const bodyText = Buffer.from(raw.slice(headEnd + 4), 'latin1').subarray(0, length).toString('utf8');
  let body: unknown = bodyText;
  try {
    body = JSON.parse(bodyText);
  } catch {
    // not JSON: returned as text
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

/**
 * Opens a TCP connection to `baseUrl`, lets `drive` write to it (all at once or a byte at a
 * time), and resolves when the server closes it or after `giveUpMs` (then `closedAfterMs` is
 * Infinity and the socket is destroyed).
 */
export async function rawExchange(baseUrl: string, drive: (socket: Socket) => void | Promise<void>, giveUpMs: number): Promise<RawExchange> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  const opened = performance.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const closed = new Promise<number>((resolve) => {
    socket.once('close', () => resolve(performance.now() - opened));
    // a reset after the server's answer still counts as closed by the server
    socket.on('error', () => undefined);
  });
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<number>((resolve) => {
    timer = setTimeout(() => resolve(Number.POSITIVE_INFINITY), giveUpMs);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const driving = Promise.resolve(drive(socket)).catch(() => undefined);
  const closedAfterMs = await Promise.race([closed, gaveUp]);
  clearTimeout(timer);
  socket.destroy();
  await driving;
  return { received, closedAfterMs };
}

/** Writes `text` one byte every `intervalMs` while the socket stays open. */
export async function trickle(socket: Socket, text: string, intervalMs: number): Promise<void> {
  for (const byte of text) {
    if (socket.destroyed) return;
    socket.write(byte);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
