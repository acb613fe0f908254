import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { LRUCache } from 'lru-cache';
import type { FastifyRequest } from 'fastify';
import { AppError, type Role } from '@app/http';
import type { AuthConfig } from './auth.config';
import { AuthError } from './auth.errors';
import type { Principal } from './principal';
import { checkSignature, SIGNATURE_WINDOW_MS } from './signed-request';
import type { SessionStore } from './session.store';

export const SESSION_STORE = Symbol('SESSION_STORE');
export const AUTH_CONFIG = Symbol('AUTH_CONFIG');

/** The claims of our access tokens (HS256, algorithm pinned on verify). */
interface AccessClaims {
  exp: number;
  sub: string;
  role: Role;
  sid: string;
  typ: Principal['kind'];
  jti: string;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  /** Access token lifetime in seconds. */
  expiresIn: number;
  tokenType: 'Bearer';
  /** HMAC key for signed requests in this session (see README: request signing). */
  signKey: string;
}

export interface SessionSubject {
  kind: Principal['kind'];
  id: number;
  role: Role;
  /** WeChat's session_key, kept with the session for decrypt and phone flows. */
  wechatSessionKey?: string;
}

const headerValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Issues, rotates and ends sessions. Access tokens are short-lived JWTs naming their session;
 * every request also checks that the session still exists, so logout, theft detection and
 * disabling an account take effect at once. Refresh tokens are opaque 256-bit values stored only
 * as sha256; each is good for one use, and presenting a retired one ends the whole session.
 */
@Injectable()
export class AuthSessionService {
  private readonly verifiedTokens = new LRUCache<string, AccessClaims>({ max: 10_000 });

  constructor(
    private readonly jwt: JwtService,
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async issue(subject: SessionSubject): Promise<IssuedTokens> {
    const sessionId = randomUUID();
    const refreshToken = randomBytes(32).toString('base64url');
    const signKey = randomBytes(32).toString('base64url');
    await this.store.create(
      {
        sessionId,
        kind: subject.kind,
        subjectId: subject.id,
        role: subject.role,
        refreshHash: hashToken(refreshToken),
        signKey,
        wechatSessionKey: subject.wechatSessionKey ?? null,
        createdAt: Date.now(),
      },
      this.config.refreshTtlS * 1000,
    );
    return { ...this.accessTokenFor(subject.kind, subject.id, subject.role, sessionId), refreshToken, signKey };
  }

  /** One use per refresh token: a new pair, the presented token retired. */
  async refresh(refreshToken: string): Promise<IssuedTokens> {
    const presented = hashToken(refreshToken);
    const sessionId = await this.store.sessionOfRefresh(presented);
    if (!sessionId) throw new AppError(AuthError.InvalidRefreshToken);
    const session = await this.store.get(sessionId);
    if (!session) throw new AppError(AuthError.InvalidRefreshToken);

    const nextToken = randomBytes(32).toString('base64url');
    const outcome = await this.store.rotate(sessionId, presented, hashToken(nextToken), this.config.refreshTtlS * 1000);
    if (outcome === 'reused') throw new AppError(AuthError.RefreshTokenReused);
    if (outcome === 'unknown') throw new AppError(AuthError.InvalidRefreshToken);
    return {
      ...this.accessTokenFor(session.kind, session.subjectId, session.role as Role, sessionId),
      refreshToken: nextToken,
      signKey: session.signKey,
    };
  }

  /**
   * The principal of a bearer token, or an AppError: wrong signature, another algorithm
   * (including `none`), a tampered payload → 2002; expired → 2003; ended session → 2004.
   */
  async authenticate(token: string): Promise<Principal> {
    const claims = this.verifyAccessToken(token);
    const id = Number(claims.sub);
    if (!Number.isSafeInteger(id) || typeof claims.sid !== 'string' || (claims.typ !== 'user' && claims.typ !== 'admin')) {
      throw new AppError(AuthError.InvalidToken);
    }
    if (!(await this.store.isAlive(claims.sid))) throw new AppError(AuthError.SessionEnded);
    return { kind: claims.typ, id, role: claims.role, sessionId: claims.sid };
  }

  /**
   * Signature and expiry, with the verified claims of recent tokens kept in a small LRU keyed by
   * the whole token (a client sends the same token for 15 minutes; any altered byte is a miss and
   * is verified in full). Expiry is re-checked on every hit; revocation is the session check.
   */
  private verifyAccessToken(token: string): AccessClaims {
    const cached = this.verifiedTokens.get(token);
    if (cached) {
      if (cached.exp * 1000 > Date.now()) return cached;
      this.verifiedTokens.delete(token);
      throw new AppError(AuthError.TokenExpired);
    }
    let claims: AccessClaims;
    try {
      claims = this.jwt.verify<AccessClaims>(token, { algorithms: ['HS256'] });
    } catch (error) {
      throw new AppError((error as Error).name === 'TokenExpiredError' ? AuthError.TokenExpired : AuthError.InvalidToken);
    }
    if (typeof claims.exp === 'number') {
      this.verifiedTokens.set(token, claims, { ttl: Math.max(1, claims.exp * 1000 - Date.now()) });
    }
    return claims;
  }

  revoke(sessionId: string): Promise<void> {
    return this.store.revoke(sessionId);
  }

  /** Ends every session of an account at once (disabled user, admin password change). */
  revokeAllFor(kind: Principal['kind'], id: number): Promise<number> {
    return this.store.revokeAllOf(kind, id);
  }

  /** WeChat's session_key of a live session (decrypt and phone flows); null if none. */
  async wechatSessionKey(sessionId: string): Promise<string | null> {
    return (await this.store.get(sessionId))?.wechatSessionKey ?? null;
  }

  /**
   * Verifies a signed request of this session (see signed-request.ts), then claims its nonce:
   * after the signature, so a forger cannot burn a client's nonces.
   */
  async verifySignedRequest(request: FastifyRequest, sessionId: string): Promise<void> {
    const headers = {
      timestamp: headerValue(request.headers['x-timestamp']),
      nonce: headerValue(request.headers['x-nonce']),
      signature: headerValue(request.headers['x-signature']),
    };
    const session = await this.store.get(sessionId);
    if (!session) throw new AppError(AuthError.SessionEnded);
    const problem = checkSignature(request, headers, session.signKey);
    if (problem === 'missing') throw new AppError(AuthError.SignatureRequired);
    if (problem === 'stale') throw new AppError(AuthError.SignatureStale);
    if (problem === 'mismatch') throw new AppError(AuthError.SignatureMismatch);
    // a nonce must outlive the window in which its timestamp is accepted
    if (!(await this.store.claimNonce(sessionId, headers.nonce as string, 2 * SIGNATURE_WINDOW_MS))) {
      throw new AppError(AuthError.NonceReused);
    }
  }

  private accessTokenFor(kind: Principal['kind'], id: number, role: Role, sessionId: string) {
    const claims: Omit<AccessClaims, 'exp'> = { sub: String(id), role, sid: sessionId, typ: kind, jti: randomUUID() };
    return {
      accessToken: this.jwt.sign(claims, { algorithm: 'HS256', expiresIn: this.config.accessTtlS }),
      expiresIn: this.config.accessTtlS,
      tokenType: 'Bearer' as const,
    };
  }
}
