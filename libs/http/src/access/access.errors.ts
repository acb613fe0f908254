import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '../app-error';

/**
 * The errors of the access layer every route passes through (bearer token, live session, role,
 * request signature). They sit in the auth block (2000-2099) because clients have matched on
 * them since auth shipped; the auth feature's own table includes them, so `AuthError.Forbidden`
 * and `AccessError.Forbidden` are the same definition. Here, and not in the auth feature, so that
 * libs (the rate limiter, the OpenAPI error docs) and every feature can name them.
 */
export const AccessError = defineErrors('auth', {
  Unauthenticated: { code: 2001, status: HttpStatus.UNAUTHORIZED, message: 'Sign-in required' },
  InvalidToken: { code: 2002, status: HttpStatus.UNAUTHORIZED, message: 'Invalid access token' },
  TokenExpired: { code: 2003, status: HttpStatus.UNAUTHORIZED, message: 'Access token expired' },
  SessionEnded: { code: 2004, status: HttpStatus.UNAUTHORIZED, message: 'Session ended, sign in again' },
  Forbidden: { code: 2007, status: HttpStatus.FORBIDDEN, message: 'Not allowed for this account' },
  SignatureRequired: {
    code: 2020,
    status: HttpStatus.UNAUTHORIZED,
    message: 'This route needs a signed request: X-Timestamp, X-Nonce and X-Signature',
  },
  SignatureStale: { code: 2021, status: HttpStatus.UNAUTHORIZED, message: 'X-Timestamp is more than 5 minutes off' },
  SignatureMismatch: { code: 2022, status: HttpStatus.UNAUTHORIZED, message: 'Request signature does not match' },
  NonceReused: { code: 2023, status: HttpStatus.UNAUTHORIZED, message: 'X-Nonce was already used: replay refused' },
});
