import { randomBytes } from 'node:crypto';
import { createWechatEmulator } from '../../apps/wechat-emulator/src/emulator';
import { emulatorPayEnvironment } from '../../libs/wechat/src/pay/wechat-pay.config';
import { type EnvelopeBody, request, type RunningApp } from './app-harness';
import { type EnvOverrides, TEST_WECHAT_APP } from './environment';

/** What POST /auth/wechat/login answers. */
export interface SignedIn {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: string;
  signKey: string;
  user: { id: number; nickname: string; avatarUrl: string; isNew: boolean };
}

/** The WeChat emulator of one describe block, from useWechatEmulator(). */
export interface SuiteWechat {
  /** The WECHAT_* variables that point an app at this emulator. Readable from beforeAll on. */
  readonly env: EnvOverrides;
  /**
   * The WECHAT_PAY_* variables that point an app at this emulator's WeChat Pay (same server) with
   * the emulator's dev keys, which the production profile admits under NODE_ENV=test only;
   * `notifyBaseUrl` is the app's own base URL (start it on a known PORT). docs/wechat-pay.md.
   */
  payEnv(notifyBaseUrl: string): EnvOverrides;
  /** Arranges an answer through the emulator's /__control API (codes, phones, faults; pay/…, refund/…, pay-faults). */
  control(path: string, body: unknown): Promise<void>;
  /** Signs a mini-program user in to `app` with a fresh wx.login() code: a new user unless `openid` is given. */
  signIn(app: RunningApp, openid?: string, sessionKey?: string): Promise<SignedIn>;
}

/**
 * Starts the WeChat emulator on a free port in a beforeAll and stops it in an afterAll, with the
 * app credentials productionEnv() gives the API, so `db.startApp({ ...wechat.env })` can sign in.
 *
 *   const db = useTestDatabase();
 *   const wechat = useWechatEmulator();
 *   beforeAll(async () => { app = await db.startApp(wechat.env); });
 *   const session = await wechat.signIn(app);
 */
export function useWechatEmulator(): SuiteWechat {
  const { appId, appSecret } = TEST_WECHAT_APP;
  const emulator = createWechatEmulator({ appId, appSecret });
  let url: string | undefined;

  beforeAll(async () => {
    await emulator.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(emulator.app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await emulator.app.close();
  });

  const baseUrl = (): string => {
    if (!url) throw new Error('useWechatEmulator(): not listening yet; it starts in beforeAll');
    return url;
  };
  const control = async (path: string, body: unknown): Promise<void> => {
    const response = await fetch(`${baseUrl()}/__control/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
  };
  return {
    get env() {
      return { WECHAT_APP_ID: appId, WECHAT_APP_SECRET: appSecret, WECHAT_API_BASE: baseUrl() };
    },
    payEnv: (notifyBaseUrl) => emulatorPayEnvironment({ apiBase: baseUrl(), notifyBaseUrl }),
    control,
    signIn: async (app, openid = `o-${randomBytes(6).toString('hex')}`, sessionKey = randomBytes(16).toString('base64')) => {
      const code = `code-${randomBytes(6).toString('hex')}`;
      await control('codes', { code, openid, session_key: sessionKey });
      const response = await request<EnvelopeBody<SignedIn>>(`${app.baseUrl}/api/v1/auth/wechat/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      });
      expect(response.status).toBe(200);
      return response.body.data as SignedIn;
    },
  };
}
