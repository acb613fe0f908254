import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants.js';
import type { FastifyContextConfig } from 'fastify';

/** The Fastify route config Nest will register a handler with (set by @RouteConfig() and the decorators below). */
export function routeConfigOf(handler: object): FastifyContextConfig | undefined {
  return Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as FastifyContextConfig | undefined;
}

/**
 * Nest's @RouteConfig() replaces the handler's whole route config, so two decorators that each
 * set one field (@RawResponse(), @Consumes()) would silently drop each other's. This one adds
 * its fields to what is there; a plain @RouteConfig() applied after it (written above it) still
 * replaces everything, so decorators in libs/ use this one.
 */
export function MergeRouteConfig(config: FastifyContextConfig): MethodDecorator {
  return (_target, _key, descriptor) => {
    const handler = descriptor.value as object;
    Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...routeConfigOf(handler), ...config }, handler);
    return descriptor;
  };
}
