import { createCipheriv, createHash } from 'node:crypto';
import { decryptWechatData, verifyRawDataSignature, WechatCryptoError } from './wechat-crypto';
import { WECHAT_OPEN_DATA_SAMPLE } from './wechat-sample.fixture';

const SAMPLE = WECHAT_OPEN_DATA_SAMPLE;

const reasonOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return error instanceof WechatCryptoError ? error.reason : `unexpected ${String(error)}`;
  }
  return undefined;
};

describe('decryptWechatData', () => {
  it("decrypts WeChat's published sample", () => {
    const data = decryptWechatData<{ openId: string; nickName: string; watermark: { appid: string } }>(
      SAMPLE,
      SAMPLE.appId,
    );
    expect(data.openId).toBe('oGZUI0egBJY1zhBYw2KhdUfwVJJE');
    expect(data.nickName).toBe('Band');
    expect(data.watermark.appid).toBe(SAMPLE.appId);
  });

  it('refuses data whose watermark names another app', () => {
    expect(reasonOf(() => decryptWechatData(SAMPLE, 'wx0000000000000000'))).toBe('appid_mismatch');
  });

  it('refuses data decrypted with the wrong session key', () => {
    const otherKey = Buffer.alloc(16, 7).toString('base64');
    expect(reasonOf(() => decryptWechatData({ ...SAMPLE, sessionKey: otherKey }, SAMPLE.appId))).toMatch(
      /decrypt_failed|not_json/,
    );
  });

  it('refuses malformed base64, keys and block sizes', () => {
    expect(reasonOf(() => decryptWechatData({ ...SAMPLE, iv: 'not base64!' }, SAMPLE.appId))).toBe('malformed');
    expect(reasonOf(() => decryptWechatData({ ...SAMPLE, sessionKey: 'AAAA' }, SAMPLE.appId))).toBe('malformed');
    expect(reasonOf(() => decryptWechatData({ ...SAMPLE, encryptedData: 'AAAA' }, SAMPLE.appId))).toBe('malformed');
  });

  it('refuses a payload that decrypts to something other than JSON', () => {
    const key = Buffer.alloc(16, 1);
    const iv = Buffer.alloc(16, 2);
    const cipher = createCipheriv('aes-128-cbc', key, iv);
    const encrypted = Buffer.concat([cipher.update('plain words', 'utf8'), cipher.final()]);
    const payload = { sessionKey: key.toString('base64'), iv: iv.toString('base64'), encryptedData: encrypted.toString('base64') };
    expect(reasonOf(() => decryptWechatData(payload, SAMPLE.appId))).toBe('not_json');
  });
});

describe('verifyRawDataSignature', () => {
  const rawData = '{"nickName":"Band","gender":1}';
  const signature = createHash('sha1').update(rawData + SAMPLE.sessionKey).digest('hex');

  it('accepts sha1(rawData + session_key)', () => {
    expect(verifyRawDataSignature(rawData, SAMPLE.sessionKey, signature)).toBe(true);
  });

  it('rejects altered data, another session and malformed signatures', () => {
    expect(verifyRawDataSignature(`${rawData} `, SAMPLE.sessionKey, signature)).toBe(false);
    expect(verifyRawDataSignature(rawData, 'HyVFkGl5F5OQWJZZaNzBBg==', signature)).toBe(false);
    expect(verifyRawDataSignature(rawData, SAMPLE.sessionKey, 'xyz')).toBe(false);
  });
});
