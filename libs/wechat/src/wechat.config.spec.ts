import { loadWechatConfig } from './wechat.config';

describe('loadWechatConfig', () => {
  const production = { DB_HOST: 'db', WECHAT_APP_ID: 'wx-app', WECHAT_APP_SECRET: 'app-secret' };

  it('sends a real AppSecret over https only', () => {
    expect(loadWechatConfig(production).apiBase).toBe('https://api.weixin.qq.com');
    expect(loadWechatConfig({ ...production, WECHAT_API_BASE: 'https://wechat-proxy.internal/' }).apiBase).toBe('https://wechat-proxy.internal');
    for (const base of ['http://api.weixin.qq.com', 'http://wechat-emulator:4010', 'http://10.0.0.8']) {
      expect(() => loadWechatConfig({ ...production, WECHAT_API_BASE: base })).toThrow(/WECHAT_API_BASE must be an https:\/\/ URL/);
    }
    // the embedded profile with real credentials is held to the same rule: the secret is the same
    expect(() => loadWechatConfig({ WECHAT_APP_ID: 'wx-app', WECHAT_APP_SECRET: 'app-secret', WECHAT_API_BASE: 'http://192.0.2.1' })).toThrow(
      /WECHAT_API_BASE/,
    );
  });

  it('allows http to a loopback host (an emulator beside the process) and without a real secret', () => {
    for (const base of ['http://127.0.0.1:4010', 'http://localhost:4010', 'http://[::1]:4010']) {
      expect(loadWechatConfig({ ...production, WECHAT_API_BASE: base }).apiBase).toBe(base);
    }
    expect(loadWechatConfig({ WECHAT_API_BASE: 'http://192.0.2.1:4010' })).toMatchObject({ credentialsMissing: true, apiBase: 'http://192.0.2.1:4010' });
  });
});
