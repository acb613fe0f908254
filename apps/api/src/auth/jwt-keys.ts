import { createHash, createSecretKey, type KeyObject } from 'node:crypto';

/** A key's id in the `kid` header: derived from the key, so every instance with the same secret agrees without configuring one. */
export function keyIdOf(secret: Buffer): string {
  return createHash('sha256').update('jwt-kid\0').update(secret).digest('base64url').slice(0, 12);
}

/** The `kid` of a compact JWT's header, or undefined; the signature is checked afterwards, with the key it names. */
function headerKeyId(token: string): string | undefined {
  const end = token.indexOf('.');
  if (end <= 0) return undefined;
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, end), 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The access-token keys: tokens are signed with the current one (its id in the `kid` header) and
 * verified with the key their `kid` names, the current or the previous one. Rotating
 * AUTH_JWT_SECRET with the old value as AUTH_JWT_PREVIOUS_SECRET signs nobody out: tokens signed
 * before keep working until they expire (AUTH_ACCESS_TTL_S), then the previous secret can go
 * (docs/security.md). A token without a `kid` (minted before key ids) or with an unknown one is
 * checked against the current key. KeyObjects: with a string jsonwebtoken re-imports the key on
 * every call (decision 0010).
 */
export class JwtKeyRing {
  readonly currentKeyId: string;
  private readonly current: KeyObject;
  private readonly previous: { id: string; key: KeyObject } | null;

  constructor(current: Buffer, previous: Buffer | null = null) {
    this.current = createSecretKey(current);
    this.currentKeyId = keyIdOf(current);
    this.previous = previous ? { id: keyIdOf(previous), key: createSecretKey(previous) } : null;
  }

  get signingKey(): KeyObject {
    return this.current;
  }

  verificationKeyFor(token: string): KeyObject {
    if (!this.previous) return this.current;
    return headerKeyId(token) === this.previous.id ? this.previous.key : this.current;
  }
}
