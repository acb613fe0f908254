import { createHash, randomBytes } from 'node:crypto';

/** WeChat's answer for a failed call: the body carries errcode/errmsg with HTTP 200. */
export interface WechatErrorBody {
  errcode: number;
  errmsg: string;
}

/** What one exchange of a registered js_code returns. */
export interface RegisteredCode {
  openid?: string;
  session_key?: string;
  unionid?: string;
  errcode?: number;
  errmsg?: string;
}

export interface RegisteredPhone {
  phoneNumber?: string;
  purePhoneNumber?: string;
  countryCode?: string;
  errcode?: number;
  errmsg?: string;
}

/** Makes the next `times` calls of a path fail or stall, to exercise timeouts and breakers. */
export interface Fault {
  path: string;
  times: number;
  errcode?: number;
  errmsg?: string;
  delayMs?: number;
  httpStatus?: number;
}

export type Jscode2sessionResult =
  | { ok: true; body: { openid: string; session_key: string; unionid?: string } }
  | { ok: false; body: WechatErrorBody };

/** WeChat: a js_code is valid for 5 minutes and can be exchanged once. */
export const CODE_TTL_MS = 5 * 60_000;
export const ACCESS_TOKEN_TTL_S = 7200;
const MAX_REMEMBERED_CODES = 100_000;

const ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40013: 'invalid appid',
  40029: 'invalid code',
  40125: 'invalid appsecret',
  40163: 'code been used',
  40226: 'high risk user',
  42001: 'access_token expired',
  45011: 'api minute-quota reach limit mustslower retry next minute',
};

export function wechatError(errcode: number, errmsg?: string): WechatErrorBody {
  // real errmsg values end with a request id ("invalid code, rid: 6745…"); clients must not parse them
  return { errcode, errmsg: `${errmsg ?? ERRMSG[errcode] ?? 'error'}, rid: ${randomBytes(6).toString('hex')}` };
}

/** A real-looking openid (28 characters) that is stable for an app id and a code. */
export function derivedOpenid(appid: string, code: string): string {
  return `o${createHash('sha256').update(`${appid}:${code}`).digest('base64url').slice(0, 27)}`;
}

/**
 * The emulator's memory: codes registered through the control API, codes already used,
 * issued access tokens, phone codes, faults and call counts. The clock is injectable so
 * the 5-minute expiry can be unit-tested.
 */
export class EmulatorState {
  private readonly registeredCodes = new Map<string, { result: RegisteredCode; registeredAt: number }>();
  /** Codes seen by an exchange (first use time), so a second exchange answers 40163. */
  private readonly usedCodes = new Map<string, number>();
  private readonly phones = new Map<string, RegisteredPhone>();
  private readonly usedPhoneCodes = new Set<string>();
  private readonly tokens = new Map<string, number>();
  private currentToken: { token: string; expiresAt: number } | null = null;
  private readonly faults: Fault[] = [];
  readonly calls = new Map<string, number>();
  tokensIssued = 0;

  constructor(private readonly now: () => number = Date.now) {}

  registerCode(code: string, result: RegisteredCode): void {
    this.registeredCodes.set(code, { result, registeredAt: this.now() });
    this.usedCodes.delete(code);
  }

  registerPhone(code: string, phone: RegisteredPhone): void {
    this.phones.set(code, phone);
    this.usedPhoneCodes.delete(code);
  }

  addFault(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  /** The fault to apply to this call of `path`, if any (each use counts down). */
  takeFault(path: string): Fault | null {
    const fault = this.faults.find((candidate) => candidate.path === path && candidate.times > 0);
    if (!fault) return null;
    fault.times -= 1;
    return fault;
  }

  countCall(path: string): void {
    this.calls.set(path, (this.calls.get(path) ?? 0) + 1);
  }

  exchangeCode(appid: string, code: string): Jscode2sessionResult {
    this.sweep();
    if (this.usedCodes.has(code)) return { ok: false, body: wechatError(40163) };
    this.usedCodes.set(code, this.now());
    const registered = this.registeredCodes.get(code);
    if (registered) {
      this.registeredCodes.delete(code);
      if (this.now() - registered.registeredAt > CODE_TTL_MS) return { ok: false, body: wechatError(40029) };
      const { result } = registered;
      if (result.errcode !== undefined && result.errcode !== 0) {
        return { ok: false, body: wechatError(result.errcode, result.errmsg) };
      }
      return {
        ok: true,
        body: {
          openid: result.openid ?? derivedOpenid(appid, code),
          session_key: result.session_key ?? randomBytes(16).toString('base64'),
          ...(result.unionid ? { unionid: result.unionid } : {}),
        },
      };
    }
    // an unregistered code is accepted, so curl and local development work without setup
    return { ok: true, body: { openid: derivedOpenid(appid, code), session_key: randomBytes(16).toString('base64') } };
  }

  /** stable_token semantics: the same token until it expires, unless force_refresh. */
  stableToken(forceRefresh: boolean): { access_token: string; expires_in: number } {
    const now = this.now();
    if (!this.currentToken || forceRefresh || this.currentToken.expiresAt <= now) {
      const token = `emu_${randomBytes(24).toString('base64url')}`;
      this.currentToken = { token, expiresAt: now + ACCESS_TOKEN_TTL_S * 1000 };
      this.tokens.set(token, this.currentToken.expiresAt);
      this.tokensIssued += 1;
    }
    return { access_token: this.currentToken.token, expires_in: Math.round((this.currentToken.expiresAt - now) / 1000) };
  }

  /** 0 when valid, else WeChat's errcode for a bad or expired token. */
  checkToken(token: string | undefined): number {
    if (!token) return 41001;
    const expiresAt = this.tokens.get(token);
    if (expiresAt === undefined) return 40001;
    if (expiresAt <= this.now()) return 42001;
    return 0;
  }

  /** Expires the current access token at once (tests of the client's refresh-on-40001/42001). */
  expireTokens(): void {
    for (const token of this.tokens.keys()) this.tokens.set(token, 0);
    this.currentToken = null;
  }

  exchangePhoneCode(code: string): RegisteredPhone | WechatErrorBody {
    if (this.usedPhoneCodes.has(code)) return wechatError(40163);
    const phone = this.phones.get(code);
    if (!phone) return wechatError(40029);
    this.usedPhoneCodes.add(code);
    if (phone.errcode) return wechatError(phone.errcode, phone.errmsg);
    return phone;
  }

  reset(): void {
    this.registeredCodes.clear();
    this.usedCodes.clear();
    this.phones.clear();
    this.usedPhoneCodes.clear();
    this.tokens.clear();
    this.currentToken = null;
    this.faults.length = 0;
    this.calls.clear();
    this.tokensIssued = 0;
  }

  // a development tool runs for days: forget the oldest used codes past a bound
  private sweep(): void {
    if (this.usedCodes.size < MAX_REMEMBERED_CODES) return;
    for (const code of this.usedCodes.keys()) {
      this.usedCodes.delete(code);
      if (this.usedCodes.size < MAX_REMEMBERED_CODES / 2) break;
    }
  }
}
