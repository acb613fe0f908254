import type { ExecutionContext } from '@nestjs/common';
import { AppError, type Principal, Public, Roles, Signed, SIGNED_ROUTE } from '@app/http';
import { appErrorCodeOf, newTestService } from '@app/testing';
import { AUTH_CONFIG, AuthSessionService } from './auth-session.service';
import type { AuthConfig } from './auth.config';
import { AuthError } from './auth.errors';
import { AuthGuard } from './auth.guard';

class ExampleController {
  @Public()
  ping(): void {}

  me(): void {}

  @Roles('admin', 'operator')
  dashboard(): void {}

  @Signed()
  placeOrder(): void {}
}

@Public()
class PublicController {
  health(): void {}
}

@Roles('admin')
class AdminController {
  list(): void {}
}

const config = (overrides: Partial<AuthConfig> = {}): AuthConfig => ({
  jwtSecret: null,
  jwtPreviousSecret: null,
  accessTtlS: 900,
  refreshTtlS: 86_400,
  keyPrefix: 'auth:',
  signing: 'sensitive',
  maxSessionsPerAccount: 10,
  sessionMaxAgeS: { user: 30 * 86_400, admin: 12 * 3600 },
  ...overrides,
});

const alice: Principal = { kind: 'user', id: 7, role: 'user', sessionId: 'sid-alice' };
const root: Principal = { kind: 'admin', id: 1, role: 'admin', sessionId: 'sid-root' };

function setup(principal: Principal | AppError = alice, authConfig = config()) {
  const { sut: guard, fake } = newTestService(AuthGuard, { providers: [{ provide: AUTH_CONFIG, useValue: authConfig }] });
  const { authenticate, verifySignedRequest } = fake(AuthSessionService);
  authenticate.mockImplementation(async () => {
    if (principal instanceof AppError) throw principal;
    return principal;
  });
  verifySignedRequest.mockResolvedValue(undefined);
  return { guard, authenticate, verifySignedRequest };
}

type Request = { headers: Record<string, string>; user?: Principal };

function context(controller: new () => object, method: string, request: Request, type = 'http'): ExecutionContext {
  const handler = (controller.prototype as Record<string, unknown>)[method] as () => void;
  return {
    getType: () => type,
    getHandler: () => handler,
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

describe('AuthGuard', () => {
  it('lets @Public() routes and controllers through without a token, and checks nothing', async () => {
    const { guard, authenticate } = setup();
    expect(await guard.canActivate(context(ExampleController, 'ping', { headers: {} }))).toBe(true);
    expect(await guard.canActivate(context(PublicController, 'health', { headers: {} }))).toBe(true);
    expect(authenticate).not.toHaveBeenCalled();
  });

  it('answers 2001 without an Authorization header and 2002 for another scheme or an empty token', async () => {
    const { guard, authenticate } = setup();
    expect(await appErrorCodeOf(guard.canActivate(context(ExampleController, 'me', { headers: {} })))).toBe(2001);
    expect(await appErrorCodeOf(guard.canActivate(context(ExampleController, 'me', { headers: { authorization: 'Basic dXNlcjpwYXNz' } })))).toBe(2002);
    expect(await appErrorCodeOf(guard.canActivate(context(ExampleController, 'me', { headers: { authorization: 'Bearer' } })))).toBe(2002);
    expect(authenticate).not.toHaveBeenCalled();
  });

  it('sets request.user to the principal of a valid bearer token', async () => {
    const { guard, authenticate } = setup();
    const request: Request = { headers: { authorization: 'bearer token-1' } };
    expect(await guard.canActivate(context(ExampleController, 'me', request))).toBe(true);
    expect(authenticate).toHaveBeenCalledWith('token-1');
    expect(request.user).toEqual(alice);
  });

  it("passes on the token check's own error (invalid, expired, session ended)", async () => {
    for (const definition of [AuthError.InvalidToken, AuthError.TokenExpired, AuthError.SessionEnded]) {
      const { guard } = setup(new AppError(definition));
      const request: Request = { headers: { authorization: 'Bearer t' } };
      expect(await appErrorCodeOf(guard.canActivate(context(ExampleController, 'me', request)))).toBe(definition.code);
      expect(request.user).toBeUndefined();
    }
  });

  it('answers 403 (2007) when @Roles() on the method or the class does not include the role', async () => {
    const user = setup(alice);
    expect(await appErrorCodeOf(user.guard.canActivate(context(ExampleController, 'dashboard', { headers: { authorization: 'Bearer t' } })))).toBe(2007);
    expect(await appErrorCodeOf(user.guard.canActivate(context(AdminController, 'list', { headers: { authorization: 'Bearer t' } })))).toBe(2007);

    const admin = setup(root);
    expect(await admin.guard.canActivate(context(ExampleController, 'dashboard', { headers: { authorization: 'Bearer t' } }))).toBe(true);
    expect(await admin.guard.canActivate(context(AdminController, 'list', { headers: { authorization: 'Bearer t' } }))).toBe(true);
    const operator = setup({ ...root, role: 'operator' });
    expect(await operator.guard.canActivate(context(ExampleController, 'dashboard', { headers: { authorization: 'Bearer t' } }))).toBe(true);
    expect(await appErrorCodeOf(operator.guard.canActivate(context(AdminController, 'list', { headers: { authorization: 'Bearer t' } })))).toBe(2007);
  });

  it('keeps mini-program users off dashboard routes whatever role their row holds (2007)', async () => {
    const headers = { authorization: 'Bearer t' };
    for (const role of ['operator', 'admin'] as const) {
      const user = setup({ ...alice, role });
      expect(await appErrorCodeOf(user.guard.canActivate(context(ExampleController, 'dashboard', { headers })))).toBe(2007);
      expect(await appErrorCodeOf(user.guard.canActivate(context(AdminController, 'list', { headers })))).toBe(2007);
      // routes for everyone signed in still take them
      expect(await user.guard.canActivate(context(ExampleController, 'me', { headers }))).toBe(true);
    }
  });

  it('checks the request signature on @Signed() routes, on every signed-in route with AUTH_SIGNING=all, on none with off', async () => {
    const perRoute = setup();
    await perRoute.guard.canActivate(context(ExampleController, 'me', { headers: { authorization: 'Bearer t' } }));
    expect(perRoute.verifySignedRequest).not.toHaveBeenCalled();
    const request: Request = { headers: { authorization: 'Bearer t' } };
    await perRoute.guard.canActivate(context(ExampleController, 'placeOrder', request));
    expect(perRoute.verifySignedRequest).toHaveBeenCalledWith(request, alice.sessionId);

    const everywhere = setup(alice, config({ signing: 'all' }));
    await everywhere.guard.canActivate(context(ExampleController, 'me', { headers: { authorization: 'Bearer t' } }));
    expect(everywhere.verifySignedRequest).toHaveBeenCalledTimes(1);
    await everywhere.guard.canActivate(context(ExampleController, 'ping', { headers: {} }));
    expect(everywhere.verifySignedRequest).toHaveBeenCalledTimes(1);

    const off = setup(alice, config({ signing: 'off' }));
    expect(await off.guard.canActivate(context(ExampleController, 'placeOrder', { headers: { authorization: 'Bearer t' } }))).toBe(true);
    expect(off.verifySignedRequest).not.toHaveBeenCalled();
  });

  it('reads @Signed() from the method only: a class-level mark has no hashed body to check', async () => {
    // what @Signed() on a class used to do: the metadata without the per-method route config
    class MarkedController {
      me(): void {}
    }
    Reflect.defineMetadata(SIGNED_ROUTE, true, MarkedController);
    const { guard, verifySignedRequest } = setup();
    await guard.canActivate(context(MarkedController, 'me', { headers: { authorization: 'Bearer t' } }));
    expect(verifySignedRequest).not.toHaveBeenCalled();
  });

  it('leaves non-HTTP contexts alone', async () => {
    const { guard, authenticate } = setup();
    expect(await guard.canActivate(context(ExampleController, 'me', { headers: {} }, 'ws'))).toBe(true);
    expect(authenticate).not.toHaveBeenCalled();
  });
});
