import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis, ReplyError } from 'ioredis';
import { REDIS_FAILING_FAST } from '@app/redis';
import { classifyRedisError } from './redis-error.classifier';
import { RedisError } from './redis.errors';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The error a promise rejects with (the test fails if it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** A TCP server that accepts connections and then does what `onData` says with each request. */
async function fakeServer(onData: (socket: net.Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => onData(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const silenced = (client: Redis) => client.on('error', () => undefined);

/** Errors as ioredis 5.11 really raises them, not look-alikes built by hand. */
describe('classifyRedisError', () => {
  it('maps "Stream isn\'t writeable" (no connection, no offline queue) to 503 (7040)', async () => {
    const client = silenced(new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null }));
    const error = await rejectionOf(client.get('k'));
    expect((error as Error).message).toBe("Stream isn't writeable and enableOfflineQueue options is false");
    expect(classifyRedisError(error)).toBe(RedisError.Unavailable);
    client.disconnect();
  });

  it('maps "Connection is closed." to 503 (7040)', async () => {
    const client = silenced(new Redis(REDIS_URL));
    client.disconnect();
    const error = await rejectionOf(client.get('k'));
    expect((error as Error).message).toBe('Connection is closed.');
    expect(classifyRedisError(error)).toBe(RedisError.Unavailable);
  });

  it('maps "Command timed out" (a Redis that accepts and never answers) to 504 (7041)', async () => {
    const server = await fakeServer(() => undefined);
    const client = silenced(new Redis({ port: server.port, enableReadyCheck: false, commandTimeout: 50, maxRetriesPerRequest: 0 }));
    try {
      const error = await rejectionOf(client.get('k'));
      expect((error as Error).message).toBe('Command timed out');
      expect(classifyRedisError(error)).toBe(RedisError.Timeout);
    } finally {
      client.disconnect();
      await server.close();
    }
  });

  it('maps MaxRetriesPerRequestError (the connection dropped under the command) to 503 (7040)', async () => {
    const server = await fakeServer((socket) => socket.destroy());
    const client = silenced(new Redis({ port: server.port, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => 1_000 }));
    try {
      const error = await rejectionOf(client.get('k'));
      expect((error as Error).name).toBe('MaxRetriesPerRequestError');
      expect(classifyRedisError(error)).toBe(RedisError.Unavailable);
    } finally {
      client.disconnect();
      await server.close();
    }
  });

  it('maps the fail-fast gate\'s refusal (circuit open) to 503 (7040)', () => {
    expect(classifyRedisError(REDIS_FAILING_FAST)).toBe(RedisError.Unavailable);
  });

  it('maps replies by which Redis says it cannot serve now to 503, and leaves our own wrong commands as bugs (500)', async () => {
    for (const reply of ['LOADING Redis is loading the dataset in memory', 'BUSY Redis is busy running a script', 'READONLY You can\'t write against a read only replica.', 'OOM command not allowed when used memory > \'maxmemory\'.', 'MASTERDOWN Link with MASTER is down']) {
      expect(classifyRedisError(new (ReplyError as new (message: string) => Error)(reply))).toBe(RedisError.Unavailable);
    }
    const client = new Redis(REDIS_URL);
    const key = `test:classifier:${randomBytes(4).toString('hex')}`;
    try {
      await client.set(key, 'a string');
      const wrongType = await rejectionOf(client.lpush(key, 'x'));
      expect((wrongType as Error).message).toMatch(/^WRONGTYPE/);
      expect(classifyRedisError(wrongType)).toBeUndefined();
      const unknown = await rejectionOf(client.call('NO-SUCH-COMMAND'));
      expect(classifyRedisError(unknown)).toBeUndefined();
    } finally {
      await client.del(key);
      await client.quit();
    }
  });

  it('leaves errors that do not come from ioredis alone, even with the same words', () => {
    class OtherLibraryError extends Error {}
    expect(classifyRedisError(new OtherLibraryError('Connection is closed.'))).toBeUndefined();
    expect(classifyRedisError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(classifyRedisError(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBeUndefined();
    expect(classifyRedisError('Command timed out')).toBeUndefined();
    expect(classifyRedisError(null)).toBeUndefined();
  });
});
