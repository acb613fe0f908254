import { readFileSync } from 'node:fs';
import { IsBoolean, IsInt, IsOptional, IsUrl, Max, Min } from 'class-validator';
import { ConfigValidationError, defineConfig, parseEnv, productionSafeguardsApply, resolveProfile, ToBoolean, ToInteger } from '@app/config';
import { EMULATOR_APP_ID } from '../wechat.config';
import {
  EMULATOR_PAY_APIV3_KEY,
  EMULATOR_PAY_MCH_ID,
  EMULATOR_PAY_MERCHANT_PRIVATE_KEY,
  EMULATOR_PAY_MERCHANT_SERIAL,
  EMULATOR_PAY_PLATFORM_KEY_ID,
  EMULATOR_PAY_PLATFORM_PUBLIC_KEY,
} from './emulator-pay-keys';
import { loadPrivateKey, loadPublicKey } from './wechat-pay.crypto';

const URL_OPTIONS = { require_tld: false, protocols: ['http', 'https'], require_protocol: true };

class WechatPayEnv {
  NODE_ENV?: string;
  DB_HOST?: string;
  REDIS_URL?: string;
  WECHAT_APP_ID?: string;
  WECHAT_API_BASE?: string;
  PORT?: string;

  @IsOptional()
  @ToBoolean()
  @IsBoolean({ message: 'WECHAT_PAY_ENABLED must be true or false' })
  WECHAT_PAY_ENABLED?: boolean;

  WECHAT_PAY_MCH_ID?: string;
  WECHAT_PAY_MERCHANT_SERIAL?: string;
  WECHAT_PAY_PRIVATE_KEY?: string;
  WECHAT_PAY_PRIVATE_KEY_FILE?: string;
  WECHAT_PAY_APIV3_KEY?: string;
  WECHAT_PAY_PLATFORM_KEYS?: string;

  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'WECHAT_PAY_API_BASE must be an http(s) URL' })
  WECHAT_PAY_API_BASE?: string;

  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'WECHAT_PAY_NOTIFY_BASE_URL must be an http(s) URL' })
  WECHAT_PAY_NOTIFY_BASE_URL?: string;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(100)
  @Max(30_000)
  WECHAT_PAY_TIMEOUT_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(1024)
  WECHAT_PAY_POOL_CONNECTIONS?: number;
}

export interface WechatPayConfig {
  /** False: every gateway call answers 503 (4501) and notifies are refused. */
  enabled: boolean;
  /** The embedded profile with no merchant configured pays through the emulator with its public dev keys. */
  usingEmulatorKeys: boolean;
  /** The mini-program's AppID (WECHAT_APP_ID): prepay's appid and paySign's appId. */
  appId: string;
  mchId: string;
  merchantSerial: string;
  /** PEM (PKCS#8 or PKCS#1), checked at load. Kept as text: config values are plain data. */
  merchantPrivateKeyPem: string;
  /** Exactly 32 bytes (UTF-8), checked at load. */
  apiV3Key: string;
  /** Wechatpay-Serial → public key (SPKI PEM): platform-certificate serials and PUB_KEY_ID_ ids side by side. */
  platformKeys: Record<string, string>;
  apiBase: string;
  /** Where WeChat Pay calls us back; the order feature appends its notify routes. */
  notifyBaseUrl: string;
  /** WECHAT_PAY_TIMEOUT_MS: the `wechatpay` circuit's call timeout (504, 7002). */
  timeoutMs: number;
  poolConnections: number;
}

export const WECHAT_PAY_DEFAULT_API_BASE = 'https://api.mch.weixin.qq.com';

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;
const isLoopback = (url: string): boolean => LOOPBACK_HOSTS.test(new URL(url).hostname);

/** `WECHAT_PAY_PLATFORM_KEYS` entries: `<serial or PUB_KEY_ID_…>=<value>`, separated by commas or newlines. */
export function parsePlatformKeys(value: string, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): Record<string, string> {
  const keys: Record<string, string> = {};
  const entries = value
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const split = entry.indexOf('=');
    const id = split > 0 ? entry.slice(0, split).trim() : '';
    const source = split > 0 ? entry.slice(split + 1).trim() : '';
    if (!/^[A-Za-z0-9_]{8,64}$/.test(id) || !source) {
      throw new Error('each entry must be <serial or PUB_KEY_ID_…>=<file path or base64 key>');
    }
    if (keys[id]) throw new Error(`${id} is listed twice`);
    // a path (absolute, relative, or file:…) is read; anything else is the key itself
    const isFile = /^(file:|\/|\.\.?\/)/.test(source);
    let text: string;
    try {
      text = isFile ? readFile(source.replace(/^file:/, '')) : source;
    } catch {
      throw new Error(`the file for ${id} cannot be read`);
    }
    try {
      keys[id] = loadPublicKey(text).export({ type: 'spki', format: 'pem' }).toString();
    } catch {
      throw new Error(`the key for ${id} is not an RSA public key or certificate`);
    }
  }
  if (Object.keys(keys).length === 0) throw new Error('lists no key');
  return keys;
}

function spkiOf(pem: string): string {
  return loadPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');
}

const EMULATOR_KEYS = {
  mchId: EMULATOR_PAY_MCH_ID,
  merchantSerial: EMULATOR_PAY_MERCHANT_SERIAL,
  merchantPrivateKeyPem: EMULATOR_PAY_MERCHANT_PRIVATE_KEY,
  apiV3Key: EMULATOR_PAY_APIV3_KEY,
  platformKeys: { [EMULATOR_PAY_PLATFORM_KEY_ID]: EMULATOR_PAY_PLATFORM_PUBLIC_KEY },
};

/**
 * Payment is enabled by WECHAT_PAY_ENABLED, else by a configured WECHAT_PAY_MCH_ID, else (embedded
 * profile only) through the emulator with its fixed dev keys. Enabled in the production profile,
 * every merchant variable must be present and well-formed, and none may be an emulator dev key:
 * the process does not start, and the message names each variable to fix (never its value).
 */
export function loadWechatPayConfig(env: NodeJS.ProcessEnv, readFile?: (path: string) => string): WechatPayConfig {
  const parsed = parseEnv(WechatPayEnv, env);
  const production = resolveProfile(env) === 'production';
  const merchantSet = Boolean(parsed.WECHAT_PAY_MCH_ID);
  const enabled = parsed.WECHAT_PAY_ENABLED ?? (merchantSet || !production);
  const usingEmulatorKeys = enabled && !production && !merchantSet;
  const timeoutMs = parsed.WECHAT_PAY_TIMEOUT_MS ?? 5000;
  const poolConnections = parsed.WECHAT_PAY_POOL_CONNECTIONS ?? 16;
  const appId = parsed.WECHAT_APP_ID || EMULATOR_APP_ID;
  const localNotifyBase = `http://127.0.0.1:${parsed.PORT ?? '3000'}`;

  if (usingEmulatorKeys) {
    // the embedded emulator serves Pay on the same server as the WeChat API (startEmbeddedWechatEmulator)
    const apiBase = (parsed.WECHAT_PAY_API_BASE ?? parsed.WECHAT_API_BASE ?? 'http://127.0.0.1:4010').replace(/\/+$/, '');
    return {
      enabled,
      usingEmulatorKeys,
      appId,
      ...EMULATOR_KEYS,
      apiBase,
      notifyBaseUrl: (parsed.WECHAT_PAY_NOTIFY_BASE_URL ?? localNotifyBase).replace(/\/+$/, ''),
      timeoutMs,
      poolConnections,
    };
  }

  const problems: string[] = [];
  const required = (name: keyof WechatPayEnv, value: string | undefined, hint: string): string => {
    if (!value) problems.push(`${name} must be set when WeChat Pay is enabled (${hint})`);
    return value ?? '';
  };
  const disabled: WechatPayConfig = {
    enabled: false,
    usingEmulatorKeys: false,
    appId,
    mchId: '',
    merchantSerial: '',
    merchantPrivateKeyPem: '',
    apiV3Key: '',
    platformKeys: {},
    apiBase: WECHAT_PAY_DEFAULT_API_BASE,
    notifyBaseUrl: '',
    timeoutMs,
    poolConnections,
  };
  if (!enabled) return disabled;

  const mchId = required('WECHAT_PAY_MCH_ID', parsed.WECHAT_PAY_MCH_ID, 'the merchant id');
  if (mchId && !/^\d{6,12}$/.test(mchId)) problems.push('WECHAT_PAY_MCH_ID must be the numeric merchant id');
  const merchantSerial = required('WECHAT_PAY_MERCHANT_SERIAL', parsed.WECHAT_PAY_MERCHANT_SERIAL, "the merchant API certificate's serial number");
  if (merchantSerial && !/^[0-9A-Fa-f]{8,64}$/.test(merchantSerial)) problems.push('WECHAT_PAY_MERCHANT_SERIAL must be the hexadecimal certificate serial');

  let merchantPrivateKeyPem = '';
  if (parsed.WECHAT_PAY_PRIVATE_KEY && parsed.WECHAT_PAY_PRIVATE_KEY_FILE) {
    problems.push('set one of WECHAT_PAY_PRIVATE_KEY and WECHAT_PAY_PRIVATE_KEY_FILE, not both');
  } else if (!parsed.WECHAT_PAY_PRIVATE_KEY && !parsed.WECHAT_PAY_PRIVATE_KEY_FILE) {
    problems.push('WECHAT_PAY_PRIVATE_KEY_FILE (apiclient_key.pem) or WECHAT_PAY_PRIVATE_KEY (its PEM) must be set when WeChat Pay is enabled');
  } else {
    const name = parsed.WECHAT_PAY_PRIVATE_KEY_FILE ? 'WECHAT_PAY_PRIVATE_KEY_FILE' : 'WECHAT_PAY_PRIVATE_KEY';
    try {
      const text = parsed.WECHAT_PAY_PRIVATE_KEY_FILE ? (readFile ?? ((path: string) => readFileSync(path, 'utf8')))(parsed.WECHAT_PAY_PRIVATE_KEY_FILE) : parsed.WECHAT_PAY_PRIVATE_KEY!;
      merchantPrivateKeyPem = loadPrivateKey(text).export({ type: 'pkcs8', format: 'pem' }).toString();
    } catch {
      problems.push(`${name} must be (the path of) an RSA private key in PEM`);
    }
  }

  const apiV3Key = required('WECHAT_PAY_APIV3_KEY', parsed.WECHAT_PAY_APIV3_KEY, 'the APIv3 key set in the merchant platform');
  if (apiV3Key && Buffer.byteLength(apiV3Key, 'utf8') !== 32) problems.push('WECHAT_PAY_APIV3_KEY must be exactly 32 bytes');

  let platformKeys: Record<string, string> = {};
  const platformSource = required(
    'WECHAT_PAY_PLATFORM_KEYS',
    parsed.WECHAT_PAY_PLATFORM_KEYS,
    'PUB_KEY_ID_…=/path/pub_key.pem and/or <certificate serial>=/path/cert.pem, comma-separated',
  );
  if (platformSource) {
    try {
      platformKeys = parsePlatformKeys(platformSource, readFile);
    } catch (error) {
      problems.push(`WECHAT_PAY_PLATFORM_KEYS ${(error as Error).message}`);
    }
  }

  const apiBase = (parsed.WECHAT_PAY_API_BASE ?? WECHAT_PAY_DEFAULT_API_BASE).replace(/\/+$/, '');
  if (production && !apiBase.startsWith('https://') && !isLoopback(apiBase)) {
    problems.push('WECHAT_PAY_API_BASE must be an https:// URL (http:// only to a loopback host)');
  }
  let notifyBaseUrl = (parsed.WECHAT_PAY_NOTIFY_BASE_URL ?? '').replace(/\/+$/, '');
  if (production) {
    if (!notifyBaseUrl) problems.push('WECHAT_PAY_NOTIFY_BASE_URL must be set when WeChat Pay is enabled (the public https:// base of our notify routes)');
    else if (!notifyBaseUrl.startsWith('https://') && !isLoopback(notifyBaseUrl)) {
      problems.push('WECHAT_PAY_NOTIFY_BASE_URL must be an https:// URL (WeChat Pay calls https only)');
    }
  } else {
    notifyBaseUrl ||= localNotifyBase;
  }

  if (productionSafeguardsApply(env)) {
    // the dev keys are in the repository: accepting one would make payments forgeable
    if (mchId === EMULATOR_PAY_MCH_ID) problems.push('WECHAT_PAY_MCH_ID is the emulator\'s dev merchant id, refused in production');
    if (apiV3Key === EMULATOR_PAY_APIV3_KEY) problems.push('WECHAT_PAY_APIV3_KEY is the emulator\'s public dev key, refused in production');
    if (merchantPrivateKeyPem && spkiOf(merchantPrivateKeyPem) === spkiOf(EMULATOR_PAY_MERCHANT_PRIVATE_KEY)) {
      problems.push('WECHAT_PAY_PRIVATE_KEY(_FILE) is the emulator\'s public dev key, refused in production');
    }
    const emulatorPlatform = spkiOf(EMULATOR_PAY_PLATFORM_PUBLIC_KEY);
    if (Object.values(platformKeys).some((pem) => spkiOf(pem) === emulatorPlatform)) {
      problems.push('WECHAT_PAY_PLATFORM_KEYS contains the emulator\'s platform key (a published test key), refused in production');
    }
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);

  return { enabled, usingEmulatorKeys, appId, mchId, merchantSerial, merchantPrivateKeyPem, apiV3Key, platformKeys, apiBase, notifyBaseUrl, timeoutMs, poolConnections };
}

export const wechatPayConfig = defineConfig('wechatPay', (env) => loadWechatPayConfig(env));

/**
 * The environment that points a process at an emulator with the dev keys in the production profile
 * under NODE_ENV=test (e2e suites): the same values the embedded profile uses by itself.
 */
export function emulatorPayEnvironment(options: { apiBase: string; notifyBaseUrl: string }): Record<string, string> {
  return {
    WECHAT_PAY_ENABLED: 'true',
    WECHAT_PAY_MCH_ID: EMULATOR_PAY_MCH_ID,
    WECHAT_PAY_MERCHANT_SERIAL: EMULATOR_PAY_MERCHANT_SERIAL,
    WECHAT_PAY_PRIVATE_KEY: EMULATOR_PAY_MERCHANT_PRIVATE_KEY.replace(/\n/g, '\\n'),
    WECHAT_PAY_APIV3_KEY: EMULATOR_PAY_APIV3_KEY,
    WECHAT_PAY_PLATFORM_KEYS: `${EMULATOR_PAY_PLATFORM_KEY_ID}=${EMULATOR_PAY_PLATFORM_PUBLIC_KEY.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')}`,
    WECHAT_PAY_API_BASE: options.apiBase,
    WECHAT_PAY_NOTIFY_BASE_URL: options.notifyBaseUrl,
  };
}
