import { API_NODE_FLAGS, freePort, runUntilExit } from './support/child-app';
import { productionEnv } from './support/environment';
import { createTestDatabase } from './support/test-database';
import { emulatorPayEnvironment } from '../libs/wechat/src/pay/wechat-pay.config';

/** The service refuses to start on bad configuration, naming the variable, with no stack. */
describe('configuration is validated at boot', () => {
  const expectRefusal = (result: { code: number | null; output: string }, ...mentions: string[]) => {
    expect(result.code).toBe(1);
    for (const mention of mentions) expect(result.output).toContain(mention);
    // a configuration mistake is reported as a list of variables, not as a crash
    expect(result.output).not.toMatch(/\n\s+at .+:\d+:\d+/);
  };
  // connectivity failures keep the driver's stack in the log for the operator
  const expectConnectFailure = (result: { code: number | null; output: string }, mention: string) => {
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/Failed to start: .+/);
    expect(result.output).toContain(mention);
  };

  it('NODE_ENV=production without a database or Redis refuses to start (no SQLite fallback)', async () => {
    expectRefusal(await runUntilExit({ NODE_ENV: 'production' }), 'DB_HOST', 'DB_NAME', 'REDIS_URL', 'DB_PASSWORD');
  });

  it('loads the bundle with its build-time V8 code cache under the node flags npm start uses', async () => {
    // NODE_DEBUG=api-launcher makes the launcher report V8's verdict on the cache
    const result = await runUntilExit({ NODE_ENV: 'production', NODE_DEBUG: 'api-launcher' });
    expect(result.code).toBe(1);
    expect(result.output).toContain('DB_HOST');
    expect(result.output).toMatch(/^API-LAUNCHER \d+: code cache accepted$/m);
    expect(result.output).not.toContain('code cache rejected');
  });

  it('says so when V8 rejects the code cache because the node flags differ from the build', async () => {
    // V8 keys the cache on its flags: one more than package.json config.apiNodeFlags is enough
    const nodeFlags = [...API_NODE_FLAGS, '--max-old-space-size=1024'];
    const result = await runUntilExit({ NODE_ENV: 'production', NODE_DEBUG: 'api-launcher' }, { nodeFlags });
    expect(result.output).toContain('code cache rejected (another Node build or other V8 flags than at build time)');
    expect(result.output).not.toContain('code cache accepted');
    // compiled from source instead: the bundle still loads and validates the configuration
    expect(result.code).toBe(1);
    expect(result.output).toContain('DB_HOST');
  });

  it('refuses the production profile without the token secret and WeChat credentials', async () => {
    expectRefusal(
      await runUntilExit({ ...productionEnv('unused'), AUTH_JWT_SECRET: undefined, WECHAT_APP_ID: undefined, WECHAT_APP_SECRET: undefined }),
      'AUTH_JWT_SECRET must be set',
      'WECHAT_APP_ID must be set',
      'WECHAT_APP_SECRET must be set',
    );
    expectRefusal(await runUntilExit({ ...productionEnv('unused'), AUTH_JWT_SECRET: 'short' }), 'AUTH_JWT_SECRET must be at least 32 characters');
  });

  it('names a malformed variable', async () => {
    expectRefusal(
      await runUntilExit({ ...productionEnv('unused'), DB_PORT: 'three-three-oh-six' }),
      'DB_PORT must be an integer',
    );
    expectRefusal(await runUntilExit({ BODY_LIMIT_BYTES: 'lots' }), 'BODY_LIMIT_BYTES');
    expectRefusal(await runUntilExit({ HTTP_WRITE_BATCHING: 'sometimes' }), 'HTTP_WRITE_BATCHING');
    expectRefusal(await runUntilExit({ REDIS_URL: 'localhost:6379', DB_HOST: 'x' }), 'REDIS_URL must start with redis://');
  });

  it('refuses diagnostics routes in production', async () => {
    expectRefusal(
      await runUntilExit({ NODE_ENV: 'production', ENABLE_TEST_ROUTES: 'true' }),
      'ENABLE_TEST_ROUTES must not be true',
    );
  });

  it('holds the production profile to the production safeguards whatever NODE_ENV says (DB_HOST with NODE_ENV=development)', async () => {
    for (const nodeEnv of ['development', undefined]) {
      expectRefusal(
        await runUntilExit({ ...productionEnv('unused'), NODE_ENV: nodeEnv, DB_PASSWORD: '', ENABLE_TEST_ROUTES: 'true' }),
        'ENABLE_TEST_ROUTES must not be true in the production profile',
        'DB_PASSWORD must be set in the production profile',
      );
    }
  });

  it('refuses to send the WeChat AppSecret over plain http to anything but a loopback host', async () => {
    expectRefusal(
      await runUntilExit({ ...productionEnv('unused'), WECHAT_API_BASE: 'http://api.weixin.qq.com' }),
      'WECHAT_API_BASE must be an https:// URL when WECHAT_APP_SECRET is set',
    );
  });

  it('refuses WeChat Pay enabled with a missing or malformed merchant, and its emulator dev keys in production, by name', async () => {
    expectRefusal(
      await runUntilExit({ ...productionEnv('unused'), WECHAT_PAY_MCH_ID: '1230000109', WECHAT_PAY_APIV3_KEY: 'thirty-one-bytes-is-not-enough!' }),
      'WECHAT_PAY_MERCHANT_SERIAL must be set',
      'WECHAT_PAY_PRIVATE_KEY_FILE (apiclient_key.pem) or WECHAT_PAY_PRIVATE_KEY',
      'WECHAT_PAY_APIV3_KEY must be exactly 32 bytes',
      'WECHAT_PAY_PLATFORM_KEYS must be set',
      'WECHAT_PAY_NOTIFY_BASE_URL must be set',
    );
    const devKeys = emulatorPayEnvironment({ apiBase: 'https://api.mch.weixin.qq.com', notifyBaseUrl: 'https://shop.example.com' });
    const refused = await runUntilExit({ ...productionEnv('unused'), ...devKeys, NODE_ENV: 'production', ENABLE_TEST_ROUTES: undefined });
    expectRefusal(refused, "WECHAT_PAY_MCH_ID is the emulator's dev merchant id", "WECHAT_PAY_APIV3_KEY is the emulator's public dev key");
    expect(refused.output).not.toContain(devKeys.WECHAT_PAY_APIV3_KEY);
  });

  it('refuses to start when the production database is unreachable', async () => {
    const closedPort = await freePort();
    const result = await runUntilExit(
      productionEnv('unused', { DB_PORT: String(closedPort), DB_CONNECT_RETRIES: '0', DB_CONNECT_TIMEOUT_MS: '1000' }),
    );
    expectConnectFailure(result, 'ECONNREFUSED');
  });

  it('refuses to start when the production Redis is unreachable', async () => {
    const database = await createTestDatabase();
    try {
      const closedPort = await freePort();
      const result = await runUntilExit(
        productionEnv(database.name, { REDIS_URL: `redis://127.0.0.1:${closedPort}`, REDIS_CONNECT_TIMEOUT_MS: '500' }),
      );
      expectConnectFailure(result, `Redis at redis://127.0.0.1:${closedPort} did not answer within 500 ms`);
    } finally {
      await database.drop();
    }
  });
});
