import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring download links for private files: `?expires=<unix s>&sig=<base64url HMAC-SHA256
 * of "files:<id>:<expires>">`. Anyone holding the link may download until it expires (an
 * <image src> in a mini-program cannot send a bearer token).
 */
export class SignedLinks {
  constructor(private readonly secret: string) {}

  sign(id: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`files:${id}:${expires}`).digest('base64url');
  }

  query(id: string, expires: number): string {
    return `expires=${expires}&sig=${this.sign(id, expires)}`;
  }

  /** 'valid', 'expired' (a correct signature past its time) or 'invalid' (anything else). */
  check(id: string, expires: number, signature: string, nowS = Math.floor(Date.now() / 1000)): 'valid' | 'expired' | 'invalid' {
    const expected = Buffer.from(this.sign(id, expires));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return expires < nowS ? 'expired' : 'valid';
  }
}
