import { IsInt, IsNotEmpty, IsOptional, IsUrl, Max, Min, ValidateIf } from 'class-validator';
import { defineConfig, parseEnv, resolveProfile, ToInteger } from '@app/config';

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

export function loadWechatConfig(env: NodeJS.ProcessEnv): WechatConfig {
  const parsed = parseEnv(WechatEnv, env);
  const credentialsMissing = !parsed.WECHAT_APP_ID || !parsed.WECHAT_APP_SECRET;
  return {
    appId: parsed.WECHAT_APP_ID || EMULATOR_APP_ID,
    appSecret: parsed.WECHAT_APP_SECRET || 'emulator-secret',
    apiBase: (parsed.WECHAT_API_BASE ?? WECHAT_DEFAULT_API_BASE).replace(/\/+$/, ''),
    timeoutMs: parsed.WECHAT_TIMEOUT_MS ?? 3000,
    poolConnections: parsed.WECHAT_POOL_CONNECTIONS ?? 32,
    tokenRefreshAheadMs: (parsed.WECHAT_TOKEN_REFRESH_AHEAD_S ?? 300) * 1000,
    credentialsMissing,
  };
}

export const wechatConfig = defineConfig('wechat', loadWechatConfig);
