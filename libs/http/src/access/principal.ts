import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../app-error';
import { AccessError } from './access.errors';
import type { Role } from './route-access';

/** Who is calling: set on `request.user` by the auth guard for every non-public route. */
export interface Principal {
  /** Users and admin accounts live in different tables: `kind` keeps their ids apart. */
  kind: 'user' | 'admin';
  id: number;
  role: Role;
  sessionId: string;
}

/** A request after the auth guard: `user` is set on every route that is not @Public(). */
export interface AuthenticatedRequest extends FastifyRequest {
  user?: Principal;
}

/** The caller of the route: `me(@CurrentPrincipal() principal: Principal)`. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => context.switchToHttp().getRequest<{ user: Principal }>().user,
);

/**
 * Whether the caller holds one of `roles`. `operator` and `admin` are roles of admin accounts
 * only: a mini-program user holds `user` whatever its row says, so a users row with role
 * `operator` never reaches a dashboard route (and no dashboard account passes as a user).
 */
export function holdsRole(principal: Pick<Principal, 'kind' | 'role'>, roles: readonly Role[]): boolean {
  const role: Role = principal.kind === 'admin' ? principal.role : 'user';
  if (principal.kind === 'admin' && role === 'user') return false;
  return roles.includes(role);
}

/** For routes about the mini-program user themselves: an admin account has no user profile. */
export function requireUser(principal: Principal): number {
  if (principal.kind !== 'user') throw new AppError(AccessError.Forbidden);
  return principal.id;
}
