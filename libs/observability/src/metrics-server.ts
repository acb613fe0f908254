import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { register } from 'prom-client';

export const METRICS_SERVER_ADDRESS = Symbol('METRICS_SERVER_ADDRESS');

export interface MetricsServerAddress {
  host: string;
  port: number;
}

/**
 * GET /metrics on a port of its own (METRICS_PORT), so the route map, the Node version and the
 * traffic figures are not served to the public: the load balancer or ingress routes only the API
 * port, and Prometheus scrapes the pod on this one (README: metrics on their own port). A bare
 * node:http server: nothing of the API's pipeline (auth, limits, envelope) applies to a scrape.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server: Server | null = null;

  constructor(@Inject(METRICS_SERVER_ADDRESS) private readonly address: MetricsServerAddress) {}

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((request, response) => void this.answer(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.address.port, this.address.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.log(`metrics on http://${this.address.host}:${this.address.port}/metrics (METRICS_PORT)`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // a scraper's keep-alive connection would hold close() until its idle timeout
    server.closeAllConnections();
    await closed;
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: GET /metrics\n');
      return;
    }
    try {
      const body = await register.metrics();
      response.writeHead(200, { 'content-type': register.contentType, 'x-content-type-options': 'nosniff' }).end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      this.logger.error({ err: (error as Error).message }, 'metrics could not be collected');
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics could not be collected\n');
    }
  }
}
