import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '@app/http';

/** Sign-in and session errors (auth block 2000-2099; WeChat's own in 2100-2199). */
export const AuthError = defineErrors('auth', {
  Unauthenticated: { code: 2001, status: HttpStatus.UNAUTHORIZED, message: 'Sign-in required' },
  InvalidToken: { code: 2002, status: HttpStatus.UNAUTHORIZED, message: 'Invalid access token' },
  TokenExpired: { code: 2003, status: HttpStatus.UNAUTHORIZED, message: 'Access token expired' },
  SessionEnded: { code: 2004, status: HttpStatus.UNAUTHORIZED, message: 'Session ended, sign in again' },
  InvalidRefreshToken: { code: 2005, status: HttpStatus.UNAUTHORIZED, message: 'Invalid or expired refresh token' },
  RefreshTokenReused: {
    code: 2006,
    status: HttpStatus.UNAUTHORIZED,
    message: 'Refresh token already used: the session was ended for safety, sign in again',
  },
  InvalidCredentials: { code: 2008, status: HttpStatus.UNAUTHORIZED, message: 'Wrong username or password' },
  LoginLocked: { code: 2009, status: HttpStatus.TOO_MANY_REQUESTS, message: 'Too many failed sign-ins: try again later' },
  Forbidden: { code: 2007, status: HttpStatus.FORBIDDEN, message: 'Not allowed for this account' },
  UserDisabled: { code: 2010, status: HttpStatus.FORBIDDEN, message: 'This account is disabled' },
  WechatDataInvalid: {
    code: 2011,
    status: HttpStatus.BAD_REQUEST,
    message: 'The encrypted data cannot be decrypted with this session, or was not made for this mini-program',
  },
  WechatSignatureMismatch: { code: 2012, status: HttpStatus.BAD_REQUEST, message: 'rawData does not match its signature' },
  SignatureRequired: {
    code: 2020,
    status: HttpStatus.UNAUTHORIZED,
    message: 'This route needs a signed request: X-Timestamp, X-Nonce and X-Signature',
  },
  SignatureStale: { code: 2021, status: HttpStatus.UNAUTHORIZED, message: 'X-Timestamp is more than 5 minutes off' },
  SignatureMismatch: { code: 2022, status: HttpStatus.UNAUTHORIZED, message: 'Request signature does not match' },
  NonceReused: { code: 2023, status: HttpStatus.UNAUTHORIZED, message: 'X-Nonce was already used: replay refused' },
  NoWechatSession: { code: 2013, status: HttpStatus.BAD_REQUEST, message: 'This session has no WeChat session key: log in with WeChat again' },
});
