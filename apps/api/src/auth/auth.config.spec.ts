import { ConfigValidationError } from '@app/config';
import { loadAuthConfig } from './auth.config';

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
