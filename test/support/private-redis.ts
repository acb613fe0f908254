import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './child-app';

/**
 * A redis-server of the test's own on a spare port, so a test can freeze it (SIGSTOP), thaw it
 * (SIGCONT), kill it and start it again without touching the machine's shared Redis. No
 * persistence: a restart comes back empty, like a Redis that lost its data.
 */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private portNumber = 0;
  private frozen = false;
  private output = '';

  get port(): number {
    if (!this.portNumber) throw new Error('PrivateRedis: not started');
    return this.portNumber;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server (on the same port again after a stop) and resolves once it answers PING. */
  async start(timeoutMs = 5_000): Promise<void> {
    if (this.child) throw new Error('PrivateRedis: already running');
    this.portNumber ||= await freePort();
    const child = spawn('redis-server', ['--port', String(this.portNumber), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    // a Jest worker killed on a timeout must not leave the server behind
    process.once('exit', () => child.kill('SIGKILL'));

    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const probe = new Redis(this.url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch (error) {
        if (Date.now() > deadline || this.child !== child) {
          await this.stop();
          throw new Error(`redis-server did not start on port ${this.portNumber}: ${(error as Error).message}\n${this.output}`);
        }
      } finally {
        probe.disconnect();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stalls the server: connections stay open, nothing is answered (what a hung host looks like). */
  freeze(): void {
    this.signal('SIGSTOP');
    this.frozen = true;
  }

  thaw(): void {
    this.signal('SIGCONT');
    this.frozen = false;
  }

  /** Kills the server (SIGKILL works on a frozen process too) and waits for it to be gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    this.frozen = false;
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  /** A client of the test's own, for reading what the app stored; the caller disconnects it. */
  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 1 });
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.child) throw new Error('PrivateRedis: not running');
    this.child.kill(signal);
  }
}

/**
 * A private Redis for the calling describe block: started in a beforeAll, killed in an afterAll
 * (Jest runs every afterAll even when a hook or test failed). Declare it after useTestDatabase():
 * Jest runs afterAll hooks in the order they were declared, so the apps stop before their Redis.
 *
 *   const db = useTestDatabase();
 *   const redis = usePrivateRedis();
 *   beforeAll(async () => { app = await db.startApp({ REDIS_URL: redis.url }); });
 */
export function usePrivateRedis(): PrivateRedis {
  const redis = new PrivateRedis();
  beforeAll(async () => {
    await redis.start();
  });
  afterAll(async () => {
    await redis.stop();
  });
  return redis;
}
