import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError, type AuthenticatedRequest, holdsRole, PUBLIC_ROUTE, REQUIRED_ROLES, type Role, SIGNED_ROUTE } from '@app/http';
import { AUTH_CONFIG, AuthSessionService } from './auth-session.service';
import { type AuthConfig, signsRoute } from './auth.config';
import { AuthError } from './auth.errors';

type AccessRule = { isPublic: boolean; roles: Role[] | null; signed: boolean };

/**
 * The global guard: every route needs a valid bearer token unless marked @Public(), and
 * @Roles() narrows who may call it (403 otherwise; `operator` and `admin` need an admin account,
 * see holdsRole); @Signed() routes (with AUTH_SIGNING=sensitive, the default; every signed-in
 * route with AUTH_SIGNING=all; none with off) also need a valid request signature. It runs before
 * the rate limiter (it is registered first), so limits count per signed-in caller. A lean CanActivate instead of a
 * passport strategy: one verify and one session lookup, no strategy indirection per request.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly rules = new WeakMap<object, AccessRule>();

  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: AuthSessionService,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  // synchronous for public routes: Nest awaits only what is a promise, and every route pays it
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const rule = this.ruleFor(context);
    if (rule.isPublic) return true;
    return this.authenticate(context, rule);
  }

  private async authenticate(context: ExecutionContext, rule: AccessRule): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header) throw new AppError(AuthError.Unauthenticated);
    const [scheme, token] = header.split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) throw new AppError(AuthError.InvalidToken);

    const principal = await this.sessions.authenticate(token);
    request.user = principal;
    if (rule.roles && !holdsRole(principal, rule.roles)) throw new AppError(AuthError.Forbidden);
    if (rule.signed) await this.sessions.verifySignedRequest(request, principal.sessionId);
    return true;
  }

  // metadata is fixed per handler: read it once
  private ruleFor(context: ExecutionContext): AccessRule {
    const handler = context.getHandler();
    let rule = this.rules.get(handler);
    if (!rule) {
      const targets = [handler, context.getClass()];
      rule = {
        isPublic: this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) === true,
        roles: this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, targets) ?? null,
        // from the method only: the body hashing a signature needs is per-method route config
        signed: signsRoute(this.config.signing, this.reflector.get<boolean | undefined>(SIGNED_ROUTE, handler) === true),
      };
      this.rules.set(handler, rule);
    }
    return rule;
  }
}
