/** Where the e2e suite finds the machine's real MariaDB and Redis (README: Testing). */
export const testServices = {
  dbHost: process.env.TEST_DB_HOST ?? '127.0.0.1',
  dbPort: Number(process.env.TEST_DB_PORT ?? 3306),
  dbUser: process.env.TEST_DB_USER ?? 'root',
  dbPassword: process.env.TEST_DB_PASSWORD ?? '',
  redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

/** Shared by the suite so a test can sign its own tokens (tampering, expiry). */
export const TEST_JWT_SECRET = 'e2e-jwt-secret-0123456789abcdefghijklmnop';

/** The mini-program credentials productionEnv() gives the API (test/support/wechat-emulator.ts accepts them). */
export const TEST_WECHAT_APP = { appId: 'wx-e2e-app', appSecret: 'e2e-secret' };

export type EnvOverrides = Record<string, string | undefined>;

/** The production profile against the real services, with the diagnostics routes mounted. */
export function productionEnv(databaseName: string, overrides: EnvOverrides = {}): EnvOverrides {
  return {
    NODE_ENV: 'test',
    DB_TYPE: 'mariadb',
    DB_HOST: testServices.dbHost,
    DB_PORT: String(testServices.dbPort),
    DB_USER: testServices.dbUser,
    DB_PASSWORD: testServices.dbPassword,
    DB_NAME: databaseName,
    DB_MIGRATE_ON_START: 'true',
    DB_CONNECT_RETRIES: '0',
    REDIS_URL: testServices.redisUrl,
    ENABLE_TEST_ROUTES: 'true',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    // WeChat is required in the production profile; suites that log in start an emulator and override these
    WECHAT_APP_ID: TEST_WECHAT_APP.appId,
    WECHAT_APP_SECRET: TEST_WECHAT_APP.appSecret,
    WECHAT_API_BASE: 'http://127.0.0.1:9',
    ...overrides,
  };
}
