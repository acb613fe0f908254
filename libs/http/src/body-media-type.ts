import { applyDecorators } from '@nestjs/common';
import { ApiConsumes } from '@nestjs/swagger';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import { AppError } from './app-error';
import { CommonError } from './common.errors';
import { MergeRouteConfig } from './route-config';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by @Consumes(): the media types this route's request body may have. */
    consumes?: readonly string[];
  }
}

/** What a route's body may be unless it says otherwise: JSON, `+json` types included (RFC 6839). */
export const JSON_MEDIA_TYPES: readonly string[] = ['application/json', 'application/*+json'];

/** The methods whose bodies Fastify parses (GET, HEAD, TRACE bodies are never read). */
export const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'QUERY']);

const MEDIA_RANGE = /^[a-z0-9!#$&^_.+-]+\/(?:\*|\*\+[a-z0-9!#$&^_.+-]+|[a-z0-9!#$&^_.+-]+)$/;

/**
 * A route whose body is not JSON: `@Consumes('multipart/form-data')` on an upload route. It
 * replaces the JSON default (list JSON too if the route takes both); a parser for the type
 * must be registered as well (e.g. by @fastify/multipart). `type/*` and `type/*+suffix` match a
 * family. Also documents the types in OpenAPI.
 */
export function Consumes(...mediaTypes: string[]): MethodDecorator {
  const normalized = mediaTypes.map((type) => type.trim().toLowerCase());
  const invalid = normalized.filter((type) => !MEDIA_RANGE.test(type));
  if (normalized.length === 0 || invalid.length > 0) {
    throw new Error(`@Consumes() needs media types like "multipart/form-data" or "application/*+json", got ${JSON.stringify(mediaTypes)}`);
  }
  return applyDecorators(MergeRouteConfig({ consumes: normalized }), ApiConsumes(...normalized));
}

/** Compiled once per route: exact types in a Set, `type/*suffix` ranges as prefix + suffix. */
function mediaTypeMatcher(ranges: readonly string[]): (mediaType: string) => boolean {
  const exact = new Set<string>();
  const families: Array<{ prefix: string; suffix: string }> = [];
  for (const range of ranges) {
    const star = range.indexOf('/*');
    if (star === -1) exact.add(range);
    else families.push({ prefix: range.slice(0, star + 1), suffix: range.slice(star + 2) });
  }
  return (mediaType) =>
    exact.has(mediaType) ||
    families.some(
      ({ prefix, suffix }) =>
        mediaType.length > prefix.length + suffix.length && mediaType.startsWith(prefix) && mediaType.endsWith(suffix),
    );
}

// as Fastify decides whether there is a body to parse (lib/handle-request.js)
const hasBody = (request: FastifyRequest): boolean => {
  const { 'content-length': length, 'transfer-encoding': encoding } = request.headers;
  return encoding !== undefined || (length !== undefined && length !== '0');
};

function refuseOtherMediaTypes(ranges: readonly string[]): onRequestHookHandler {
  const accepts = mediaTypeMatcher(ranges);
  const message = `${CommonError.UnsupportedMediaType.message}: this route takes ${ranges.join(' or ')}`;
  return (request, _reply, done) => {
    // a route registered for several methods may also serve bodyless ones
    if (!BODY_METHODS.has(request.method)) return done();
    // without a Content-Type only an empty request passes (GET-like POST, DELETE)
    const acceptable = request.headers['content-type'] === undefined ? !hasBody(request) : accepts(request.mediaType ?? '');
    if (acceptable) return done();
    done(new AppError(CommonError.UnsupportedMediaType, { message }));
  };
}

/**
 * Bodies are JSON unless a route says otherwise (@Consumes). Fastify parses text/plain by
 * default and Nest adds form-urlencoded, so without this a text/plain body reached the
 * handler as a string and failed validation (400 1001) instead of 415 1004. The check is a
 * route-level onRequest hook added only to routes that take a body: it runs before the body is
 * read (so the signed-request hashing and the 1 MB limit never see a refused body), and GET
 * routes, the hot ones, carry no hook at all. The JSON parser itself (`+json` types included) is
 * installJsonBodyParser() (json-body-parser.ts).
 */
export function installBodyMediaTypes(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route: RouteOptions) => {
    if (![route.method].flat().some((method) => BODY_METHODS.has(method))) return;
    const check = refuseOtherMediaTypes(route.config?.consumes ?? JSON_MEDIA_TYPES);
    route.onRequest = [...[route.onRequest ?? []].flat(), check];
  });
}
