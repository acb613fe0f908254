import type { FastifyRequest } from 'fastify';

// the methods a route here can have (CORS preflight would add OPTIONS)
const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * The methods the router serves at this request's path, when its own method has no route there:
 * the path exists, so the answer is 405 with an Allow header, not 404 (RFC 9110 §15.5.6). Fastify
 * answers both with its not-found handler; this runs only on that path, a few router look-ups.
 */
export function methodsAllowedAt(request: FastifyRequest): string[] {
  return ROUTE_METHODS.filter(
    (method) => method !== request.method && request.server.findRoute({ method, url: request.url }) !== null,
  );
}
