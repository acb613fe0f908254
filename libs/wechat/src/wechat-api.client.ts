import { Logger } from '@nestjs/common';
import { AppError } from '@app/http';
import type { DependencyBreaker } from '@app/resilience';
import type { Pool } from 'undici';
import type { AccessTokenStore, StoredAccessToken } from './access-token.store';
import { breakerOwnedPool } from './breaker-owned-pool';
import type { WechatConfig } from './wechat.config';
import { WechatErrcode, WechatError } from './wechat.errors';

export interface WechatSession {
  openid: string;
  /** Server-side only: never returned to a client, never logged. */
  sessionKey: string;
  unionid?: string;
}

export interface WechatPhoneNumber {
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
}

interface WechatBody {
  errcode?: number;
  errmsg?: string;
  [field: string]: unknown;
}

/** Thrown inside the breaker for answers that mean WeChat is unwell (counted as failures). */
class WechatBusyError extends AppError {
  constructor(readonly errcode: number) {
    super(WechatError.Busy);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * WeChat's server API over one keep-alive connection pool (undici), every call through the
 * `wechat` circuit breaker, whose timeout (WECHAT_TIMEOUT_MS) is the only per-call timeout: it
 * aborts the request and the caller gets 504 (7002). WeChat answers errors as HTTP 200 with
 * `{ errcode, errmsg }`; they are mapped to our WechatError codes. Only "system busy" (-1),
 * HTTP/network failures and timeouts count against the circuit: an invalid or used code is
 * the caller's problem, not WeChat being down.
 */
export class WechatApiClient {
  private readonly logger = new Logger('WechatApi');
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  private localToken: StoredAccessToken | null = null;
  private tokenInFlight: Promise<string> | null = null;

  constructor(
    private readonly config: WechatConfig,
    private readonly breaker: DependencyBreaker,
    private readonly tokens: AccessTokenStore,
  ) {
    // WECHAT_TIMEOUT_MS is the breaker's timeout (see WechatModule), the only one a call has
    ({ pool: this.pool, pathPrefix: this.pathPrefix } = breakerOwnedPool(config.apiBase, { connections: config.poolConnections, timeoutMs: config.timeoutMs }));
  }

  /** `wx.login` code → openid/session_key (GET /sns/jscode2session). */
  async code2Session(jsCode: string): Promise<WechatSession> {
    const query = new URLSearchParams({
      appid: this.config.appId,
      secret: this.config.appSecret,
      js_code: jsCode,
      grant_type: 'authorization_code',
    });
    // -1 is WeChat's "busy, try again": one retry; a timeout is not retried (the code may be spent)
    const body = await this.callWithBusyRetry('GET', `/sns/jscode2session?${query.toString()}`);
    this.throwForErrcode(body, 'jscode2session', 'login');
    if (typeof body.openid !== 'string' || typeof body.session_key !== 'string') {
      throw this.badResponse('jscode2session', 'no openid/session_key');
    }
    return {
      openid: body.openid,
      sessionKey: body.session_key,
      ...(typeof body.unionid === 'string' && body.unionid ? { unionid: body.unionid } : {}),
    };
  }

  /** A phone-number code from `getPhoneNumber` → the user's phone (POST /wxa/business/getuserphonenumber). */
  async getPhoneNumber(code: string): Promise<WechatPhoneNumber> {
    let body = await this.phoneCall(code, await this.getAccessToken());
    if (body.errcode === WechatErrcode.InvalidCredential || body.errcode === WechatErrcode.AccessTokenExpired) {
      // another instance (or WeChat) replaced the token: get a fresh one once and try again
      body = await this.phoneCall(code, await this.getAccessToken({ forceRefresh: true }));
    }
    if (body.errcode === WechatErrcode.InvalidCode || body.errcode === WechatErrcode.CodeUsed) {
      throw new AppError(WechatError.InvalidPhoneCode);
    }
    this.throwForErrcode(body, 'getuserphonenumber', 'phone');
    const info = body.phone_info as Record<string, unknown> | undefined;
    if (!info || typeof info.purePhoneNumber !== 'string') throw this.badResponse('getuserphonenumber', 'no phone_info');
    return {
      phoneNumber: String(info.phoneNumber ?? info.purePhoneNumber),
      purePhoneNumber: info.purePhoneNumber,
      countryCode: String(info.countryCode ?? ''),
    };
  }

  /**
   * The app's access token (POST /cgi-bin/stable_token), cached in this process and in the
   * shared store. When it nears expiry (WECHAT_TOKEN_REFRESH_AHEAD_S) one instance fetches under
   * a lock while the others keep using the current token; concurrent callers in this process
   * share one fetch. Never one fetch per request.
   */
  async getAccessToken(options: { forceRefresh?: boolean } = {}): Promise<string> {
    const fresh = (value: StoredAccessToken | null): value is StoredAccessToken =>
      value !== null && value.expiresAt - this.config.tokenRefreshAheadMs > Date.now();
    if (!options.forceRefresh && fresh(this.localToken)) return this.localToken.token;
    this.tokenInFlight ??= this.obtainToken(options.forceRefresh === true, fresh).finally(() => {
      this.tokenInFlight = null;
    });
    return this.tokenInFlight;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async obtainToken(force: boolean, fresh: (value: StoredAccessToken | null) => boolean): Promise<string> {
    const stale = this.localToken?.token;
    const stored = await this.tokens.get();
    // a forced refresh is only needed if nobody replaced the token we found rejected
    if (fresh(stored) && (!force || stored!.token !== stale)) return this.remember(stored!);

    const release = await this.tokens.tryLock(this.config.timeoutMs * 3);
    if (!release) {
      // another instance is fetching: wait for its token, or keep using the current one
      for (let waited = 0; waited < this.config.timeoutMs * 2; waited += 100) {
        await sleep(100);
        const now = await this.tokens.get();
        if (now && now.token !== stored?.token && now.expiresAt > Date.now()) return this.remember(now);
      }
      if (stored && stored.expiresAt > Date.now() && !force) return this.remember(stored);
      throw new AppError(WechatError.Busy, { message: 'WeChat access token is being refreshed, retry shortly' });
    }
    try {
      const again = await this.tokens.get();
      if (fresh(again) && again!.token !== stale) return this.remember(again!);
      const body = await this.breaker.execute(
        (signal) => this.request('POST', '/cgi-bin/stable_token', signal, {
          grant_type: 'client_credential',
          appid: this.config.appId,
          secret: this.config.appSecret,
          force_refresh: force,
        }),
        { retry: { retries: 1, baseDelayMs: 100, maxDelayMs: 300 } },
      );
      this.throwForErrcode(body, 'stable_token', 'token');
      if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') {
        throw this.badResponse('stable_token', 'no access_token/expires_in');
      }
      const value = { token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
      await this.tokens.set(value);
      this.logger.log({ expiresInS: body.expires_in, forced: force }, 'WeChat access token fetched');
      return this.remember(value);
    } finally {
      await release();
    }
  }

  private remember(value: StoredAccessToken): string {
    this.localToken = value;
    return value.token;
  }

  private phoneCall(code: string, accessToken: string): Promise<WechatBody> {
    const path = `/wxa/business/getuserphonenumber?access_token=${encodeURIComponent(accessToken)}`;
    return this.callWithBusyRetry('POST', path, { code });
  }

  private async callWithBusyRetry(method: 'GET' | 'POST', path: string, body?: unknown): Promise<WechatBody> {
    return this.breaker.execute(
      async (signal) => {
        const answer = await this.request(method, path, signal, body);
        if (answer.errcode === WechatErrcode.SystemBusy) throw new WechatBusyError(WechatErrcode.SystemBusy);
        return answer;
      },
      { retry: { retries: 1, baseDelayMs: 50, maxDelayMs: 200, isRetryable: (error) => error instanceof WechatBusyError } },
    );
  }

  private async request(method: 'GET' | 'POST', path: string, signal: AbortSignal, body?: unknown): Promise<WechatBody> {
    const response = await this.pool.request({
      method,
      path: `${this.pathPrefix}${path}`,
      signal,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.body.text();
    if (response.statusCode >= 500) {
      // an outage: counts against the circuit (the breaker turns it into 502/7003)
      throw new Error(`WeChat HTTP ${response.statusCode}`);
    }
    if (response.statusCode !== 200) throw this.badResponse(path.split('?')[0], `HTTP ${response.statusCode}`);
    try {
      return JSON.parse(text) as WechatBody;
    } catch {
      throw this.badResponse(path.split('?')[0], 'not JSON');
    }
  }

  private throwForErrcode(body: WechatBody, api: string, use: 'login' | 'phone' | 'token'): void {
    const errcode = body.errcode ?? 0;
    if (errcode === 0) return;
    switch (errcode) {
      case WechatErrcode.InvalidCode:
        throw new AppError(WechatError.InvalidCode);
      case WechatErrcode.CodeUsed:
        throw new AppError(WechatError.CodeUsed);
      case WechatErrcode.FrequencyLimited:
        throw new AppError(WechatError.FrequencyLimited);
      case WechatErrcode.HighRiskUser:
        throw new AppError(WechatError.HighRiskUser);
      case WechatErrcode.InvalidAppId:
      case WechatErrcode.InvalidAppSecret:
        this.logger.error({ api, errcode, errmsg: body.errmsg, use }, 'WeChat rejected our AppID/AppSecret: check WECHAT_APP_ID and WECHAT_APP_SECRET');
        throw new AppError(WechatError.Misconfigured);
      default:
        // never a 500: an errcode we do not know is WeChat's answer, logged for whoever maps it next
        this.logger.warn({ api, errcode, errmsg: body.errmsg, use }, 'WeChat answered an unmapped errcode');
        throw new AppError(WechatError.UpstreamError);
    }
  }

  private badResponse(api: string, detail: string): AppError {
    this.logger.warn({ api, detail }, 'WeChat answered something unreadable');
    return new AppError(WechatError.BadResponse);
  }
}
