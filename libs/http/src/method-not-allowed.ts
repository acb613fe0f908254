import type { FastifyReply, FastifyRequest } from 'fastify';

const NOT_SERVED_HERE = Symbol('route not served by this process');

/**
 * For a route this process registers but does not serve (APP_ROLE=worker): answered exactly as
 * an unknown path (404, 1005), never as 405 — the router still knows the path under other methods
 * (HEAD beside GET), which would otherwise read as "use another method".
 */
export function answerNotServedHere(request: FastifyRequest, reply: FastifyReply): void {
  (request as unknown as Record<symbol, boolean>)[NOT_SERVED_HERE] = true;
  reply.callNotFound();
}

// the methods a route here can have (CORS preflight would add OPTIONS)
const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * The methods the router serves at this request's path, when its own method has no route there:
 * the path exists, so the answer is 405 with an Allow header, not 404 (RFC 9110 §15.5.6). Fastify
 * answers both with its not-found handler; this runs only on that path, a few router look-ups.
 */
export function methodsAllowedAt(request: FastifyRequest): string[] {
  if ((request as unknown as Record<symbol, boolean>)[NOT_SERVED_HERE]) return [];
  return ROUTE_METHODS.filter(
    (method) => method !== request.method && request.server.findRoute({ method, url: request.url }) !== null,
  );
}
