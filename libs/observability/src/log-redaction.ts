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

export const REDACTED = '[REDACTED]';

/**
 * Explicit paths only. Wildcards (`*.password`) made every log line ~10× slower here
 * (43 µs instead of 4.6 µs per line), so the rule is: log named fields, never whole
 * third-party objects, and add a path here when a new object with secrets is logged.
 */
export const REDACT_PATHS = [...SENSITIVE_KEYS, ...SENSITIVE_NESTED_PATHS];

const SENSITIVE_QUERY = /token|code|key|secret|password|phone|signature|ticket/i;

/** Keeps the path and parameter names of a URL but hides values that are credentials. */
export function sanitizeUrl(url: string | undefined): string {
  if (!url) return '';
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  for (const name of [...params.keys()]) {
    if (SENSITIVE_QUERY.test(name)) params.set(name, REDACTED);
  }
  return `${url.slice(0, queryStart)}?${params.toString()}`;
}

/** 13812345678 -> 138****5678, for the few places a phone must appear (admin lists). */
export function maskPhone(phone: string): string {
  const all = phone.replace(/\D/g, '');
  // +86 numbers are shown as the national number people recognise
  const digits = all.length === 13 && all.startsWith('86') ? all.slice(2) : all;
  if (digits.length < 7) return '****';
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}
