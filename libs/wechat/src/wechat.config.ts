import { IsInt, IsNotEmpty, IsOptional, IsUrl, Max, Min, ValidateIf } from 'class-validator';
import { ConfigValidationError, defineConfig, parseEnv, resolveProfile, ToInteger } from '@app/config';

const inProduction = (env: WechatEnv): boolean => resolveProfile(env) === 'production';

class WechatEnv {
  NODE_ENV?: string;
  DB_HOST?: string;
  REDIS_URL?: string;

  @ValidateIf(inProduction)
  @IsNotEmpty({ message: 'WECHAT_APP_ID must be set in the production profile (the mini-program AppID)' })
  WECHAT_APP_ID?: string;

  @ValidateIf(inProduction)
  @IsNotEmpty({ message: 'WECHAT_APP_SECRET must be set in the production profile (the mini-program AppSecret)' })
  WECHAT_APP_SECRET?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }, { message: 'WECHAT_API_BASE must be an http(s) URL' })
  WECHAT_API_BASE?: string;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(100)
  @Max(30_000)
  WECHAT_TIMEOUT_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(1024)
  WECHAT_POOL_CONNECTIONS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(10)
  @Max(3600)
  WECHAT_TOKEN_REFRESH_AHEAD_S?: number;
}

export interface WechatConfig {
  /** Empty in the embedded profile without credentials: the API then runs the emulator. */
  appId: string;
  appSecret: string;
  apiBase: string;
  /** WECHAT_TIMEOUT_MS: the `wechat` circuit's call timeout, the only one a WeChat call has (504, 7002). */
  timeoutMs: number;
  poolConnections: number;
  tokenRefreshAheadMs: number;
  /** True when no credentials were configured (embedded profile only). */
  credentialsMissing: boolean;
}

export const WECHAT_DEFAULT_API_BASE = 'https://api.weixin.qq.com';
/** Stand-in credentials for the embedded emulator; the emulator accepts any. */
export const EMULATOR_APP_ID = 'wx-emulator';

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The AppSecret travels in the query string of jscode2session and stable_token, so a real one goes
 * to WeChat over TLS only. Plain http stays possible where nothing crosses a network: a loopback
 * host (the emulator beside the process, as in development and the e2e suite), or no real secret
 * at all (the emulator's stand-in credentials).
 */
function exposesSecret(apiBase: string, appSecret: string | undefined): boolean {
  if (!appSecret) return false;
  const url = new URL(apiBase);
  return url.protocol !== 'https:' && !LOOPBACK_HOSTS.test(url.hostname);
}

export function loadWechatConfig(env: NodeJS.ProcessEnv): WechatConfig {
  const parsed = parseEnv(WechatEnv, env);
  const credentialsMissing = !parsed.WECHAT_APP_ID || !parsed.WECHAT_APP_SECRET;
  const apiBase = (parsed.WECHAT_API_BASE ?? WECHAT_DEFAULT_API_BASE).replace(/\/+$/, '');
  if (exposesSecret(apiBase, parsed.WECHAT_APP_SECRET)) {
    throw new ConfigValidationError([
      'WECHAT_API_BASE must be an https:// URL when WECHAT_APP_SECRET is set (the AppSecret travels in its query string); http:// only to a loopback host',
    ]);
  }
  return {
    appId: parsed.WECHAT_APP_ID || EMULATOR_APP_ID,
    appSecret: parsed.WECHAT_APP_SECRET || 'emulator-secret',
    apiBase,
    timeoutMs: parsed.WECHAT_TIMEOUT_MS ?? 3000,
    poolConnections: parsed.WECHAT_POOL_CONNECTIONS ?? 32,
    tokenRefreshAheadMs: (parsed.WECHAT_TOKEN_REFRESH_AHEAD_S ?? 300) * 1000,
    credentialsMissing,
  };
}

export const wechatConfig = defineConfig('wechat', loadWechatConfig);
