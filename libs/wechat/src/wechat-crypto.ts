import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';

/** Why a mini-program's encrypted payload was refused; the auth module maps it to a 400. */
export class WechatCryptoError extends Error {
  constructor(
    readonly reason: 'malformed' | 'decrypt_failed' | 'not_json' | 'appid_mismatch',
    message: string,
  ) {
    super(message);
    this.name = 'WechatCryptoError';
  }
}

export interface EncryptedPayload {
  /** base64, from wx.getUserInfo / button open-type callbacks */
  encryptedData: string;
  /** base64, 16 bytes */
  iv: string;
  /** base64, 16 bytes, from jscode2session; kept server-side, never sent to the client */
  sessionKey: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeBase64(value: string, field: string, expectedBytes?: number): Buffer {
  if (typeof value !== 'string' || value.length === 0 || value.length % 4 !== 0 || !BASE64.test(value)) {
    throw new WechatCryptoError('malformed', `${field} is not base64`);
  }
  const bytes = Buffer.from(value, 'base64');
  if (expectedBytes !== undefined && bytes.length !== expectedBytes) {
    throw new WechatCryptoError('malformed', `${field} must decode to ${expectedBytes} bytes`);
  }
  return bytes;
}

/**
 * WeChat's "open data" decryption: AES-128-CBC, key = session_key, PKCS#7 padding, JSON
 * inside, and `watermark.appid` must be our app id (a payload encrypted for another
 * mini-program, replayed to us, is refused). Hand-written because it is a few lines of
 * node:crypto; tested with the sample vector WeChat publishes.
 */
export function decryptWechatData<T extends object = Record<string, unknown>>(
  payload: EncryptedPayload,
  expectedAppId: string,
): T {
  const key = decodeBase64(payload.sessionKey, 'sessionKey', 16);
  const iv = decodeBase64(payload.iv, 'iv', 16);
  const data = decodeBase64(payload.encryptedData, 'encryptedData');
  if (data.length === 0 || data.length % 16 !== 0) {
    throw new WechatCryptoError('malformed', 'encryptedData is not a whole number of AES blocks');
  }
  let plain: string;
  try {
    const decipher = createDecipheriv('aes-128-cbc', key, iv);
    plain = Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  } catch {
    throw new WechatCryptoError('decrypt_failed', 'encryptedData could not be decrypted with this session');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(plain);
  } catch {
    throw new WechatCryptoError('not_json', 'decrypted data is not JSON');
  }
  const appId = (parsed as { watermark?: { appid?: unknown } } | null)?.watermark?.appid;
  if (appId !== expectedAppId) {
    throw new WechatCryptoError('appid_mismatch', 'decrypted data was not issued for this app');
  }
  return parsed as T;
}

/** `signature == sha1(rawData + session_key)`, compared in constant time. */
export function verifyRawDataSignature(rawData: string, sessionKey: string, signature: string): boolean {
  const expected = createHash('sha1').update(rawData + sessionKey, 'utf8').digest();
  if (!/^[0-9a-f]{40}$/i.test(signature)) return false;
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
