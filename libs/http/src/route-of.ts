import type { FastifyRequest } from 'fastify';

type RouteOptions = FastifyRequest['routeOptions'];

const ROUTE_OPTIONS = Symbol('routeOptions');

/**
 * `request.routeOptions`, read once per request. Fastify 5 builds a new 12-field object (and
 * looks up the version constraint) on every access of that getter, and our hooks read it four
 * times per request (envelope, body hashing, request log); the route does not change while a
 * request runs, so later hooks reuse the first read.
 */
export function routeOf(request: FastifyRequest): RouteOptions {
  const memo = request as FastifyRequest & { [ROUTE_OPTIONS]?: RouteOptions };
  return (memo[ROUTE_OPTIONS] ??= request.routeOptions);
}
