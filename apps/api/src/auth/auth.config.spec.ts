import { ConfigValidationError } from '@app/config';
import { loadAuthConfig, signsRoute } from './auth.config';

describe('loadAuthConfig: AUTH_SIGNING', () => {
  it('signs the @Signed() routes by default, in both profiles', () => {
    expect(loadAuthConfig({}).signing).toBe('sensitive');
    expect(loadAuthConfig({ DB_HOST: 'db', AUTH_JWT_SECRET: 'x'.repeat(32) }).signing).toBe('sensitive');
  });

  it('takes all | sensitive | off and names anything else', () => {
    for (const mode of ['all', 'sensitive', 'off'] as const) expect(loadAuthConfig({ AUTH_SIGNING: mode }).signing).toBe(mode);
    expect(() => loadAuthConfig({ AUTH_SIGNING: 'required' })).toThrow(/AUTH_SIGNING must be one of all, sensitive, off/);
  });

  it('reads AUTH_SIGNING_REQUIRED, its former name, as it meant (true: all, false: the @Signed() routes), but not both', () => {
    expect(loadAuthConfig({ AUTH_SIGNING_REQUIRED: 'true' }).signing).toBe('all');
    expect(loadAuthConfig({ AUTH_SIGNING_REQUIRED: 'false' }).signing).toBe('sensitive');
    expect(() => loadAuthConfig({ AUTH_SIGNING: 'off', AUTH_SIGNING_REQUIRED: 'true' })).toThrow(/set only AUTH_SIGNING/);
  });

  it('decides per route: all signs every signed-in route, sensitive the marked ones, off none', () => {
    expect([signsRoute('all', false), signsRoute('all', true)]).toEqual([true, true]);
    expect([signsRoute('sensitive', false), signsRoute('sensitive', true)]).toEqual([false, true]);
    expect([signsRoute('off', false), signsRoute('off', true)]).toEqual([false, false]);
  });
});

describe('loadAuthConfig: AUTH_JWT_PREVIOUS_SECRET', () => {
  const current = 'c'.repeat(32);
  it('keeps the secret before the last rotation, which must differ from the current one', () => {
    expect(loadAuthConfig({ AUTH_JWT_SECRET: current, AUTH_JWT_PREVIOUS_SECRET: 'p'.repeat(32) }).jwtPreviousSecret).toBe('p'.repeat(32));
    expect(loadAuthConfig({ AUTH_JWT_SECRET: current }).jwtPreviousSecret).toBeNull();
    expect(() => loadAuthConfig({ AUTH_JWT_SECRET: current, AUTH_JWT_PREVIOUS_SECRET: current })).toThrow(/AUTH_JWT_PREVIOUS_SECRET/);
    expect(() => loadAuthConfig({ AUTH_JWT_PREVIOUS_SECRET: 'p'.repeat(32) })).toThrow(/AUTH_JWT_PREVIOUS_SECRET/);
    expect(() => loadAuthConfig({ AUTH_JWT_SECRET: current, AUTH_JWT_PREVIOUS_SECRET: 'short' })).toThrow(/at least 32 characters/);
  });
});

describe('loadAuthConfig: absolute session lifetimes', () => {
  it('defaults to 30 days for mini-program users and 12 hours for dashboard accounts', () => {
    expect(loadAuthConfig({}).sessionMaxAgeS).toEqual({ user: 30 * 86_400, admin: 12 * 3600 });
  });

  it('reads AUTH_SESSION_MAX_AGE_S and AUTH_ADMIN_SESSION_MAX_AGE_S', () => {
    expect(loadAuthConfig({ AUTH_SESSION_MAX_AGE_S: '604800', AUTH_ADMIN_SESSION_MAX_AGE_S: '3600' }).sessionMaxAgeS).toEqual({
      user: 604_800,
      admin: 3600,
    });
  });

  it.each([
    ['AUTH_SESSION_MAX_AGE_S', '59'],
    ['AUTH_SESSION_MAX_AGE_S', 'a month'],
    ['AUTH_ADMIN_SESSION_MAX_AGE_S', '0'],
    ['AUTH_ADMIN_SESSION_MAX_AGE_S', '31536001'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadAuthConfig({ [name]: value })).toThrow(ConfigValidationError);
    expect(() => loadAuthConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});
