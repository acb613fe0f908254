import net from 'node:net';

/**
 * A TCP forwarder that a test can cut and restore, to make MariaDB or Redis
 * "unreachable" for one app without touching the real server other tests use.
 */
export class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  /** While stalled, what clients send is held here instead of reaching the dependency. */
  private held: { upstream: net.Socket; chunk: Buffer }[] | null = null;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<number> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (chunk: Buffer) => {
        if (this.held) this.held.push({ upstream, chunk });
        else upstream.write(chunk);
      });
      client.on('end', () => upstream.end());
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Closes the listening port and cuts every open connection: the dependency is "down". */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * The dependency "hangs": connections stay open, requests are held and nothing is answered, as
   * with a frozen (SIGSTOP) server. resume() delivers what was held, in order.
   */
  stall(): void {
    this.held ??= [];
  }

  resume(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const { upstream, chunk } of held) if (!upstream.destroyed) upstream.write(chunk);
  }

  /** Listens again on the same port: the dependency is "back". */
  async restart(): Promise<void> {
    await this.start(this.port);
  }
}
