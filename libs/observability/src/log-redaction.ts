import { REDACTED, sanitizeUrl } from '@app/http';

// the exception filter (libs/http) needs them too; libs/http cannot import this lib
export { REDACTED, sanitizeUrl };

/** Field names whose values never reach a log line when logged at the top level. */
const SENSITIVE_KEYS = [
  'authorization',
  'cookie',
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'session_key',
  'sessionKey',
  'signKey',
  'secret',
  'encryptedData',
  'phone',
  'phoneNumber',
  'purePhoneNumber',
];

/** Nested places secrets are known to sit in the objects we log (requests, users, bodies). */
const SENSITIVE_NESTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'user.phone',
  'user.phoneNumber',
  'body.password',
  'body.refreshToken',
  'body.encryptedData',
  'tokens.accessToken',
  'tokens.refreshToken',
];


/**
 * Explicit paths only. Wildcards (`*.password`) made every log line ~10× slower here
 * (43 µs instead of 4.6 µs per line), so the rule is: log named fields, never whole
 * third-party objects, and add a path here when a new object with secrets is logged.
 */
export const REDACT_PATHS = [...SENSITIVE_KEYS, ...SENSITIVE_NESTED_PATHS];

/** 13812345678 -> 138****5678, for the few places a phone must appear (admin lists). */
export function maskPhone(phone: string): string {
  const all = phone.replace(/\D/g, '');
  // +86 numbers are shown as the national number people recognise
  const digits = all.length === 13 && all.startsWith('86') ? all.slice(2) : all;
  if (digits.length < 7) return '****';
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}
