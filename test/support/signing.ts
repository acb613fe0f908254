import { createHash, createHmac, randomBytes } from 'node:crypto';
import { type EnvelopeBody, request } from './app-harness';

/**
 * The headers of a signed request, computed as a mini-program does (README: request signing):
 * hex HMAC-SHA256 with the session's signKey over `METHOD\npath?query\ntimestamp\nnonce\nsha256hex(body)`.
 * `body` is the exact text sent ('' for none).
 */
export function signedHeaders(
  signKey: string,
  method: string,
  pathWithQuery: string,
  body: string,
  timestamp = Date.now(),
  nonce = randomBytes(12).toString('hex'),
): Record<'x-timestamp' | 'x-nonce' | 'x-signature', string> {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const signature = createHmac('sha256', signKey)
    .update(`${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${bodyHash}`)
    .digest('hex');
  return { 'x-timestamp': String(timestamp), 'x-nonce': nonce, 'x-signature': signature };
}

export interface ApiCallOptions {
  body?: unknown;
  token?: string;
  /** Signed in as that user: its access token, and the request signed as a mini-program signs it (routes marked @Signed()). */
  session?: { accessToken: string; signKey: string };
  headers?: Record<string, string>;
}

/** `METHOD /api/v1<path>` on an app, JSON body, bearer token and (with `session`) the request signature. */
export function callApi<T = unknown>(baseUrl: string, method: string, path: string, options: ApiCallOptions = {}) {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const token = options.session?.accessToken ?? options.token;
  return request<EnvelopeBody<T>>(`${baseUrl}/api/v1${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(options.session ? signedHeaders(options.session.signKey, method, `/api/v1${path}`, body ?? '') : {}),
      ...options.headers,
    },
    body,
  });
}
