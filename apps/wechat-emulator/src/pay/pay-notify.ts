import { createPrivateKey, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { encryptAeadAesGcm, randomNonce, signSha256WithRsa, WECHATPAY_SIGNTEST_PREFIX } from '@app/wechat/pay/wechat-pay.crypto';
import { wechatTime } from './pay-state';

/** The emulator's platform identity: the key it signs responses and callbacks with, and the APIv3 key. */
export interface PlatformSigner {
  serial: string;
  privateKey: KeyObject;
  apiV3Key: Buffer;
}

export function platformSigner(options: { serial: string; privateKeyPem: string; apiV3Key: string }): PlatformSigner {
  return { serial: options.serial, privateKey: createPrivateKey(options.privateKeyPem), apiV3Key: Buffer.from(options.apiV3Key, 'utf8') };
}

/** The four headers WeChat Pay signs with, over `timestamp\nnonce\nbody\n`. */
export function signedHeaders(signer: PlatformSigner, body: string, options: { timestamp?: number; nonce?: string; serial?: string } = {}): Record<string, string> {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? randomNonce(32);
  return {
    'wechatpay-serial': options.serial ?? signer.serial,
    'wechatpay-timestamp': timestamp,
    'wechatpay-nonce': nonce,
    'wechatpay-signature': signSha256WithRsa(`${timestamp}\n${nonce}\n${body}\n`, signer.privateKey),
    'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
  };
}

/** How a control call may bend a notify, for forged-callback tests. */
export interface NotifyTampering {
  /** `signature`: a valid signature of other bytes; `body`: the body changed after signing; `signtest`: a SIGNTEST probe. */
  tamper?: 'signature' | 'body' | 'signtest';
  /** Claim another Wechatpay-Serial (an unknown key id). */
  serial?: string;
  /** Shift Wechatpay-Timestamp by this many seconds (±300 is stale). */
  timestampOffsetS?: number;
  /** Encrypt with another APIv3 key (the tag check fails at the receiver). */
  apiV3Key?: string;
}

export interface BuiltNotify {
  headers: Record<string, string>;
  body: string;
}

/**
 * A callback exactly as WeChat Pay sends it: the envelope with the resource encrypted
 * (AEAD_AES_256_GCM, APIv3 key, random 12-character nonce, associated_data = original_type),
 * signed with the platform key over the exact body bytes. `resource` is any plaintext object,
 * so a test can make a forged-but-signed callback with another amount or mchid.
 */
export function buildNotify(
  signer: PlatformSigner,
  event: { eventType: string; originalType: 'transaction' | 'refund'; summary: string; resource: Record<string, unknown> },
  tampering: NotifyTampering = {},
): BuiltNotify {
  const nonce = randomBytes(9).toString('base64url').slice(0, 12);
  const key = tampering.apiV3Key !== undefined ? Buffer.from(tampering.apiV3Key, 'utf8') : signer.apiV3Key;
  const body = JSON.stringify({
    id: randomUUID(),
    create_time: wechatTime(Date.now()),
    resource_type: 'encrypt-resource',
    event_type: event.eventType,
    summary: event.summary,
    resource: {
      original_type: event.originalType,
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext: encryptAeadAesGcm(JSON.stringify(event.resource), key, nonce, event.originalType),
      associated_data: event.originalType,
      nonce,
    },
  });
  const timestamp = Math.floor(Date.now() / 1000) + (tampering.timestampOffsetS ?? 0);
  const headers = signedHeaders(signer, tampering.tamper === 'signature' ? `${body} ` : body, { timestamp, serial: tampering.serial });
  if (tampering.tamper === 'signtest') headers['wechatpay-signature'] = `${WECHATPAY_SIGNTEST_PREFIX}${randomBytes(32).toString('base64')}`;
  return { headers, body: tampering.tamper === 'body' ? body.replace('"summary":"', '"summary":"!') : body };
}

export interface Delivery {
  url: string;
  status: number | null;
  error?: string;
  responseBody: string;
}

/** POSTs a notify and reports what the receiver answered (WeChat's deadline: 5 s). */
export async function deliverNotify(url: string, notify: BuiltNotify): Promise<Delivery> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Mozilla/4.0 (wechat-emulator pay notify)', ...notify.headers },
      body: notify.body,
      signal: AbortSignal.timeout(5000),
    });
    return { url, status: response.status, responseBody: await response.text() };
  } catch (error) {
    return { url, status: null, error: (error as Error).message, responseBody: '' };
  }
}
