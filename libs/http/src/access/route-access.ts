import { applyDecorators, SetMetadata } from '@nestjs/common';
import { MergeRouteConfig } from '../route-config';

/** Metadata read by the API's global auth guard (apps/api/src/auth). */
export const PUBLIC_ROUTE = 'access:public';
export const REQUIRED_ROLES = 'access:roles';
export const SIGNED_ROUTE = 'access:signed';

export type Role = 'user' | 'operator' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by @Signed(): the body is hashed as it streams in, for the signature check. */
    signed?: boolean;
  }
}

/** Reachable without a token (ping, health, login, refresh). Everything else needs one. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/**
 * Only principals with one of these roles; anyone else gets 403. `operator` and `admin` are held
 * by admin accounts only (holdsRole): a mini-program user is `user` whatever its row says.
 */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => applyDecorators(SetMetadata(REQUIRED_ROLES, roles));

/**
 * The route needs a signed request: X-Timestamp (ms), X-Nonce and X-Signature, an HMAC-SHA256
 * with the session's signKey over `METHOD\npath?query\ntimestamp\nnonce\nsha256hex(body)`.
 * Stale timestamps (±5 min), reused nonces and bad signatures get 401 (README: request signing).
 * The route config tells the body-hashing hook (request-signing.ts) to hash this route's body;
 * merged, so it combines with @Consumes() and @RawResponse() in any order.
 */
export const Signed = (): MethodDecorator => applyDecorators(MergeRouteConfig({ signed: true }), SetMetadata(SIGNED_ROUTE, true));
