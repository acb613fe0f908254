import { HttpStatus } from '@nestjs/common';
import { AccessError, defineErrors } from '@app/http';

/**
 * Sign-in and session errors (auth block 2000-2099; WeChat's own in 2100-2199). The access
 * errors every guarded route can raise (2001-2004, 2007, 2020-2023) are declared in libs/http
 * and included here, so the feature names them all as AuthError.*.
 */
export const AuthError = defineErrors('auth', {
  ...AccessError,
  InvalidRefreshToken: { code: 2005, status: HttpStatus.UNAUTHORIZED, message: 'Invalid or expired refresh token' },
  RefreshTokenReused: {
    code: 2006,
    status: HttpStatus.UNAUTHORIZED,
    message: 'Refresh token already used: the session was ended for safety, sign in again',
  },
  InvalidCredentials: { code: 2008, status: HttpStatus.UNAUTHORIZED, message: 'Wrong username or password' },
  LoginLocked: { code: 2009, status: HttpStatus.TOO_MANY_REQUESTS, message: 'Too many failed sign-ins: try again later' },
  UserDisabled: { code: 2010, status: HttpStatus.FORBIDDEN, message: 'This account is disabled' },
  WechatDataInvalid: {
    code: 2011,
    status: HttpStatus.BAD_REQUEST,
    message: 'The encrypted data cannot be decrypted with this session, or was not made for this mini-program',
  },
  WechatSignatureMismatch: { code: 2012, status: HttpStatus.BAD_REQUEST, message: 'rawData does not match its signature' },
  NoWechatSession: { code: 2013, status: HttpStatus.BAD_REQUEST, message: 'This session has no WeChat session key: log in with WeChat again' },
  SessionLifetimeOver: {
    code: 2030,
    status: HttpStatus.UNAUTHORIZED,
    message: 'The session reached its maximum age (AUTH_SESSION_MAX_AGE_S): sign in again',
  },
  AccessRevoked: {
    code: 2031,
    status: HttpStatus.UNAUTHORIZED,
    message: "The account was disabled or its access lowered since sign-in: the session was ended, sign in again",
  },
});
