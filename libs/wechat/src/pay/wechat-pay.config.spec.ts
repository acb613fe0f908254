import { generateKeyPairSync } from 'node:crypto';
import { ConfigValidationError } from '@app/config';
import { EMULATOR_PAY_APIV3_KEY, EMULATOR_PAY_MCH_ID, EMULATOR_PAY_PLATFORM_KEY_ID } from './emulator-pay-keys';
import { emulatorPayEnvironment, loadWechatPayConfig, parsePlatformKeys } from './wechat-pay.config';

const problemsOf = (run: () => unknown): string[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigValidationError');
};

describe('loadWechatPayConfig', () => {
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const merchantPem = merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const platformPem = platform.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const files: Record<string, string> = { '/etc/wechatpay/apiclient_key.pem': merchantPem, '/etc/wechatpay/pub_key.pem': platformPem };
  const readFile = (path: string) => {
    if (!(path in files)) throw new Error('ENOENT');
    return files[path];
  };
  const production = {
    NODE_ENV: 'production',
    DB_HOST: 'db',
    WECHAT_APP_ID: 'wx-real',
    WECHAT_PAY_MCH_ID: '1230000109',
    WECHAT_PAY_MERCHANT_SERIAL: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
    WECHAT_PAY_PRIVATE_KEY_FILE: '/etc/wechatpay/apiclient_key.pem',
    WECHAT_PAY_APIV3_KEY: 'a'.repeat(32),
    WECHAT_PAY_PLATFORM_KEYS: 'PUB_KEY_ID_0112300001092026000000000000000001=/etc/wechatpay/pub_key.pem',
    WECHAT_PAY_NOTIFY_BASE_URL: 'https://shop.example.com/',
  };

  it('pays through the emulator with its dev keys in the embedded profile with nothing configured', () => {
    const config = loadWechatPayConfig({ WECHAT_API_BASE: 'http://127.0.0.1:4011', PORT: '3100' });
    expect(config).toMatchObject({
      enabled: true,
      usingEmulatorKeys: true,
      appId: 'wx-emulator',
      mchId: EMULATOR_PAY_MCH_ID,
      apiV3Key: EMULATOR_PAY_APIV3_KEY,
      apiBase: 'http://127.0.0.1:4011',
      notifyBaseUrl: 'http://127.0.0.1:3100',
    });
    expect(Object.keys(config.platformKeys)).toEqual([EMULATOR_PAY_PLATFORM_KEY_ID]);
    expect(loadWechatPayConfig({ WECHAT_PAY_ENABLED: 'false' }).enabled).toBe(false);
  });

  it('loads a complete production merchant: key files, several platform keys side by side', () => {
    const config = loadWechatPayConfig(
      {
        ...production,
        WECHAT_PAY_PLATFORM_KEYS: `${production.WECHAT_PAY_PLATFORM_KEYS},\n 5157F09EFDC096DE15EBE81A47057A7232F1B8E1=${platformPem.replace(/\n/g, '\\n')}`,
      },
      readFile,
    );
    expect(config).toMatchObject({ enabled: true, usingEmulatorKeys: false, appId: 'wx-real', apiBase: 'https://api.mch.weixin.qq.com', notifyBaseUrl: 'https://shop.example.com' });
    expect(Object.keys(config.platformKeys).sort()).toEqual(['5157F09EFDC096DE15EBE81A47057A7232F1B8E1', 'PUB_KEY_ID_0112300001092026000000000000000001']);
    expect(config.merchantPrivateKeyPem).toContain('BEGIN PRIVATE KEY');
  });

  it('is off in the production profile unless a merchant is configured, and then names every missing variable', () => {
    expect(loadWechatPayConfig({ DB_HOST: 'db' }).enabled).toBe(false);
    const problems = problemsOf(() => loadWechatPayConfig({ DB_HOST: 'db', WECHAT_PAY_ENABLED: 'true' }, readFile));
    for (const name of ['WECHAT_PAY_MCH_ID', 'WECHAT_PAY_MERCHANT_SERIAL', 'WECHAT_PAY_PRIVATE_KEY_FILE', 'WECHAT_PAY_APIV3_KEY', 'WECHAT_PAY_PLATFORM_KEYS', 'WECHAT_PAY_NOTIFY_BASE_URL']) {
      expect(problems.join('\n')).toContain(name);
    }
  });

  it('refuses malformed values, naming the variable and never echoing a secret', () => {
    const secret = 'b'.repeat(31);
    const problems = problemsOf(() =>
      loadWechatPayConfig(
        {
          ...production,
          WECHAT_PAY_APIV3_KEY: secret,
          WECHAT_PAY_MCH_ID: 'mch',
          WECHAT_PAY_PRIVATE_KEY_FILE: '/missing.pem',
          WECHAT_PAY_PLATFORM_KEYS: 'PUB_KEY_ID_1=bm90IGEga2V5',
          WECHAT_PAY_API_BASE: 'http://api.mch.weixin.qq.com',
          WECHAT_PAY_NOTIFY_BASE_URL: 'http://shop.example.com',
        },
        readFile,
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'WECHAT_PAY_APIV3_KEY must be exactly 32 bytes',
        'WECHAT_PAY_MCH_ID must be the numeric merchant id',
        'WECHAT_PAY_PRIVATE_KEY_FILE must be (the path of) an RSA private key in PEM',
        'WECHAT_PAY_PLATFORM_KEYS the key for PUB_KEY_ID_1 is not an RSA public key or certificate',
        'WECHAT_PAY_API_BASE must be an https:// URL (http:// only to a loopback host)',
        'WECHAT_PAY_NOTIFY_BASE_URL must be an https:// URL (WeChat Pay calls https only)',
      ]),
    );
    expect(problems.join('\n')).not.toContain(secret);
    expect(problemsOf(() => loadWechatPayConfig({ ...production, WECHAT_PAY_PRIVATE_KEY: merchantPem }, readFile))).toEqual([
      'set one of WECHAT_PAY_PRIVATE_KEY and WECHAT_PAY_PRIVATE_KEY_FILE, not both',
    ]);
    // 32 characters are not 32 bytes when one of them is not ASCII
    expect(problemsOf(() => loadWechatPayConfig({ ...production, WECHAT_PAY_APIV3_KEY: `é${'a'.repeat(31)}` }, readFile))).toEqual([
      'WECHAT_PAY_APIV3_KEY must be exactly 32 bytes',
    ]);
  });

  it('never accepts the emulator dev keys in production, and does under NODE_ENV=test (the e2e suite)', () => {
    const devKeys = emulatorPayEnvironment({ apiBase: 'http://127.0.0.1:4010', notifyBaseUrl: 'http://127.0.0.1:3000' });
    const problems = problemsOf(() => loadWechatPayConfig({ ...production, WECHAT_PAY_PRIVATE_KEY_FILE: undefined, ...devKeys }));
    expect(problems).toHaveLength(4);
    for (const name of ['WECHAT_PAY_MCH_ID', 'WECHAT_PAY_APIV3_KEY', 'WECHAT_PAY_PRIVATE_KEY', 'WECHAT_PAY_PLATFORM_KEYS']) {
      expect(problems.some((problem) => problem.startsWith(name))).toBe(true);
    }
    const e2e = loadWechatPayConfig({ DB_HOST: 'db', NODE_ENV: 'test', ...devKeys });
    expect(e2e).toMatchObject({ enabled: true, usingEmulatorKeys: false, mchId: EMULATOR_PAY_MCH_ID, apiBase: 'http://127.0.0.1:4010' });
  });

  it('parses platform-key lists strictly', () => {
    expect(() => parsePlatformKeys('')).toThrow('lists no key');
    expect(() => parsePlatformKeys('no-equals-sign')).toThrow('<serial or PUB_KEY_ID_…>=');
    expect(() => parsePlatformKeys('PUB_KEY_ID_12345=/nope.pem', readFile)).toThrow('cannot be read');
    expect(() => parsePlatformKeys('PUB_KEY_ID_12345=/etc/wechatpay/pub_key.pem,PUB_KEY_ID_12345=/etc/wechatpay/pub_key.pem', readFile)).toThrow('twice');
  });
});
