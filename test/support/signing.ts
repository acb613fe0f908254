import { createHash, createHmac, randomBytes } from 'node:crypto';

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
