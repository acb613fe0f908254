import type { FastifyInstance } from 'fastify';
import { answerNotServedHere } from '@app/http';

/** What an APP_ROLE=worker process serves: the probes Kubernetes and Prometheus call. */
export const PROBE_ROUTES: ReadonlySet<string> = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * Makes every route but the probes answer 404 (1005), as if it did not exist. Applied when routes
 * are registered (Fastify's onRoute), so nothing runs per request, and only in worker processes:
 * the same build and module graph, without HTTP features.
 */
export function serveProbesOnly(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    if (PROBE_ROUTES.has(route.url)) return;
    route.handler = answerNotServedHere;
  });
}
