/** Field names whose values never reach a log line, at any of the first three levels. */
const SENSITIVE_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
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

export const REDACTED = '[REDACTED]';

export const REDACT_PATHS = SENSITIVE_KEYS.flatMap((key) => {
  const quoted = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;
  return [quoted.startsWith('.') ? key : quoted, `*${quoted}`, `*.*${quoted}`];
});

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
