import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Only this digest of a refresh token is ever stored. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export const sameHash = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * A refresh token is 16 bytes of session id followed by 32 random bytes, base64url (64
 * characters). The session id is no secret (access tokens carry it as `sid`); the 256 random
 * bits are. Carrying the id makes a refresh one compare-and-set on the primary key.
 */
export function mintRefreshToken(sessionId: string): string {
  return Buffer.concat([Buffer.from(sessionId.replace(/-/g, ''), 'hex'), randomBytes(32)]).toString('base64url');
}

/** The session a refresh token names, or null when it is not one of ours in shape. */
export function sessionIdOfRefreshToken(token: string): string | null {
  if (!/^[A-Za-z0-9_-]{64}$/.test(token)) return null;
  const hex = Buffer.from(token, 'base64url').subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
