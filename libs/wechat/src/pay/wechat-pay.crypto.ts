import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  type KeyObject,
  randomBytes,
  X509Certificate,
} from 'node:crypto';

/**
 * WeChat Pay API v3 cryptography with node:crypto only (ADR 0026): the request signer
 * (WECHATPAY2-SHA256-RSA2048), the response/callback verifier over raw bytes, AEAD_AES_256_GCM
 * for callback resources and paySign for wx.requestPayment. Wire formats: docs/wechat-pay.md and
 * ../shared/wechatpay-v3.md; every function is pinned by published vectors in the spec.
 */

export const WECHATPAY_AUTH_SCHEMA = 'WECHATPAY2-SHA256-RSA2048';
/** The official SDKs refuse a response or callback whose timestamp is this far (or farther) off. */
export const WECHATPAY_MAX_SKEW_S = 300;
/** WeChat's deliberate probe callbacks carry a signature starting with this; they must fail. */
export const WECHATPAY_SIGNTEST_PREFIX = 'WECHATPAY/SIGNTEST/';
/** A WeChat Pay public key's id (new merchants); anything else in Wechatpay-Serial is a platform-certificate serial. */
export const WECHATPAY_PUBLIC_KEY_ID_PREFIX = 'PUB_KEY_ID_';

export type WechatPayCryptoFailure =
  | 'missing_headers'
  | 'signtest_probe'
  | 'stale_timestamp'
  | 'unknown_serial'
  | 'bad_signature'
  | 'malformed'
  | 'decrypt_failed';

/** Why a signature, a key or a ciphertext was refused; WechatPayClient maps it to a payment-block AppError. */
export class WechatPayCryptoError extends Error {
  constructor(
    readonly reason: WechatPayCryptoFailure,
    message: string,
  ) {
    super(message);
    this.name = 'WechatPayCryptoError';
  }
}

/** SHA256withRSA (PKCS#1 v1.5), base64: deterministic, so published signatures are reproduced exactly. */
export function signSha256WithRsa(message: string | Buffer, privateKey: KeyObject): string {
  return createSign('RSA-SHA256').update(message).sign(privateKey, 'base64');
}

export function verifySha256WithRsa(message: string | Buffer, signature: string, publicKey: KeyObject): boolean {
  try {
    return createVerify('RSA-SHA256').update(message).verify(publicKey, signature, 'base64');
  } catch {
    return false;
  }
}

/** `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n` (a GET's body is empty: it ends `\n\n`). */
export function requestSignatureMessage(method: string, pathAndQuery: string, timestamp: string, nonce: string, body: string): string {
  return `${method.toUpperCase()}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** `TIMESTAMP\nNONCE\nBODY\n` over the body's raw bytes, exactly as received. */
export function responseSignatureMessage(timestamp: string, nonce: string, body: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`), typeof body === 'string' ? Buffer.from(body) : body, Buffer.from('\n')]);
}

const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** An upper-case alphanumeric nonce (WeChat's samples use 32 characters; nonceStr allows ≤ 32). */
export function randomNonce(length = 32): string {
  const bytes = randomBytes(length);
  let nonce = '';
  // 256 % 36 leaves a small bias; a nonce needs uniqueness, not uniformity
  for (const byte of bytes) nonce += NONCE_ALPHABET[byte % NONCE_ALPHABET.length];
  return nonce;
}

export interface MerchantSigner {
  mchId: string;
  /** Our merchant API certificate's serial number (`serial_no`). */
  serialNo: string;
  privateKey: KeyObject;
}

export interface SignedRequest {
  authorization: string;
  timestamp: string;
  nonce: string;
  signature: string;
}

/** The Authorization header of one API v3 request (`pathAndQuery` as sent, query included). */
export function buildAuthorization(
  signer: MerchantSigner,
  request: { method: string; pathAndQuery: string; body: string },
  fixed: { timestamp?: string; nonce?: string } = {},
): SignedRequest {
  const timestamp = fixed.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = fixed.nonce ?? randomNonce();
  const signature = signSha256WithRsa(requestSignatureMessage(request.method, request.pathAndQuery, timestamp, nonce, request.body), signer.privateKey);
  const authorization =
    `${WECHATPAY_AUTH_SCHEMA} mchid="${signer.mchId}",nonce_str="${nonce}",signature="${signature}",` +
    `timestamp="${timestamp}",serial_no="${signer.serialNo}"`;
  return { authorization, timestamp, nonce, signature };
}

export interface ParsedAuthorization {
  mchid: string;
  nonce_str: string;
  timestamp: string;
  serial_no: string;
  signature: string;
}

/** Reads an Authorization header (fields in any order); null when it is not a complete WECHATPAY2-SHA256-RSA2048 one. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | null {
  if (!header?.startsWith(`${WECHATPAY_AUTH_SCHEMA} `)) return null;
  const fields: Record<string, string> = {};
  for (const match of header.slice(WECHATPAY_AUTH_SCHEMA.length + 1).matchAll(/(\w+)="([^"]*)"/g)) fields[match[1]] = match[2];
  const names = ['mchid', 'nonce_str', 'timestamp', 'serial_no', 'signature'] as const;
  if (names.some((name) => !fields[name])) return null;
  return fields as unknown as ParsedAuthorization;
}

/** The four headers WeChat signs a response or a callback with. */
export interface WechatPaySignatureHeaders {
  serial: string | undefined;
  signature: string | undefined;
  timestamp: string | undefined;
  nonce: string | undefined;
}

/** Reads them from a headers object (Node/undici lower-case names). */
export function signatureHeadersOf(headers: Record<string, string | string[] | undefined>): WechatPaySignatureHeaders {
  const one = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  return {
    serial: one('wechatpay-serial'),
    signature: one('wechatpay-signature'),
    timestamp: one('wechatpay-timestamp'),
    nonce: one('wechatpay-nonce'),
  };
}

export interface VerifierOptions {
  /** Seconds; a timestamp |now - t| >= this is refused. */
  maxSkewS?: number;
  now?: () => number;
}

/**
 * Verifies WeChat Pay's responses and callbacks. Keys are chosen by `Wechatpay-Serial`: platform
 * certificate serials and `PUB_KEY_ID_…` public-key ids side by side (during a migration WeChat
 * signs with either). The body is the raw bytes received: a re-serialised body does not verify.
 */
export class WechatPayVerifier {
  private readonly maxSkewS: number;
  private readonly now: () => number;

  constructor(
    private readonly keys: ReadonlyMap<string, KeyObject>,
    options: VerifierOptions = {},
  ) {
    this.maxSkewS = options.maxSkewS ?? WECHATPAY_MAX_SKEW_S;
    this.now = options.now ?? Date.now;
  }

  get serials(): string[] {
    return [...this.keys.keys()];
  }

  /** Throws WechatPayCryptoError when anything is off; returns the serial that verified. */
  verify(headers: WechatPaySignatureHeaders, body: Buffer | string, options: { skipTimestampCheck?: boolean } = {}): string {
    const { serial, signature, timestamp, nonce } = headers;
    if (!serial || !signature || !timestamp || !nonce) {
      throw new WechatPayCryptoError('missing_headers', 'Wechatpay-Serial, -Signature, -Timestamp and -Nonce are required');
    }
    if (signature.startsWith(WECHATPAY_SIGNTEST_PREFIX)) {
      throw new WechatPayCryptoError('signtest_probe', 'a WECHATPAY/SIGNTEST/ probe signature never verifies');
    }
    if (!/^\d{1,12}$/.test(timestamp)) throw new WechatPayCryptoError('malformed', 'Wechatpay-Timestamp is not a number of seconds');
    if (!options.skipTimestampCheck && Math.abs(this.now() / 1000 - Number(timestamp)) >= this.maxSkewS) {
      throw new WechatPayCryptoError('stale_timestamp', `Wechatpay-Timestamp is ${this.maxSkewS} s or more away from now`);
    }
    const key = this.keys.get(serial);
    if (!key) throw new WechatPayCryptoError('unknown_serial', `no platform key or public key is configured for serial ${serial}`);
    if (!verifySha256WithRsa(responseSignatureMessage(timestamp, nonce, body), signature, key)) {
      throw new WechatPayCryptoError('bad_signature', 'Wechatpay-Signature does not verify over the body received');
    }
    return serial;
  }
}

export interface EncryptedResource {
  ciphertext: string;
  nonce: string;
  associated_data?: string | null;
}

const GCM_TAG_BYTES = 16;

function gcmAlgorithm(key: Buffer): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  // API v3 keys are 32 bytes (checked at boot); 16 is accepted here only so the published
  // wechatpay-go vectors, made with a 16-byte key, can be checked by the same code
  if (key.length === 32) return 'aes-256-gcm';
  if (key.length === 16) return 'aes-128-gcm';
  if (key.length === 24) return 'aes-192-gcm';
  throw new WechatPayCryptoError('malformed', 'the APIv3 key must be 32 bytes');
}

/**
 * AEAD_AES_256_GCM: the last 16 bytes of the base64 ciphertext are the tag, checked by final()
 * (a wrong key or a tampered ciphertext throws "unable to authenticate data").
 */
export function decryptAeadAesGcm(resource: EncryptedResource, apiV3Key: Buffer): Buffer {
  const algorithm = gcmAlgorithm(apiV3Key);
  if (typeof resource.ciphertext !== 'string' || typeof resource.nonce !== 'string') {
    throw new WechatPayCryptoError('malformed', 'resource.ciphertext and resource.nonce are required');
  }
  const data = Buffer.from(resource.ciphertext, 'base64');
  const nonce = Buffer.from(resource.nonce, 'utf8');
  if (data.length < GCM_TAG_BYTES || nonce.length === 0) throw new WechatPayCryptoError('malformed', 'resource.ciphertext is too short');
  try {
    const decipher = createDecipheriv(algorithm, apiV3Key, nonce, { authTagLength: GCM_TAG_BYTES });
    decipher.setAuthTag(data.subarray(data.length - GCM_TAG_BYTES));
    decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - GCM_TAG_BYTES)), decipher.final()]);
  } catch {
    throw new WechatPayCryptoError('decrypt_failed', 'the resource does not decrypt with the APIv3 key (tag check failed)');
  }
}

/** The inverse, for the emulator and tests: base64(ciphertext ‖ tag). */
export function encryptAeadAesGcm(plaintext: string | Buffer, apiV3Key: Buffer, nonce: string, associatedData: string): string {
  const cipher = createCipheriv(gcmAlgorithm(apiV3Key), apiV3Key, Buffer.from(nonce, 'utf8'), { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([body, cipher.getAuthTag()]).toString('base64');
}

export interface RequestPaymentFields {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
}

/** wx.requestPayment's paySign: RSA-SHA256 over `appId\ntimeStamp\nnonceStr\npackage\n` (signType is not signed). */
export function paySign(fields: RequestPaymentFields, privateKey: KeyObject): string {
  return signSha256WithRsa(`${fields.appId}\n${fields.timeStamp}\n${fields.nonceStr}\n${fields.package}\n`, privateKey);
}

/** A PEM whose line breaks arrived as literal `\n` (one-line environment variables). */
const unescapePem = (pem: string): string => pem.replace(/\\n/g, '\n').trim();

/** An RSA private key from PEM (PKCS#8 or PKCS#1). */
export function loadPrivateKey(pem: string): KeyObject {
  const key = createPrivateKey(unescapePem(pem));
  if (key.asymmetricKeyType !== 'rsa') throw new Error('not an RSA private key');
  return key;
}

/**
 * An RSA public key from a PEM public key, a PEM certificate (a platform certificate), or the
 * base64 body of either (one line, for environment variables).
 */
export function loadPublicKey(source: string): KeyObject {
  const text = unescapePem(source);
  let key: KeyObject;
  if (text.startsWith('-----BEGIN CERTIFICATE-----')) key = new X509Certificate(text).publicKey;
  else if (text.startsWith('-----BEGIN')) key = createPublicKey(text);
  else {
    const der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
    try {
      key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    } catch {
      key = new X509Certificate(der).publicKey;
    }
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error('not an RSA public key');
  return key;
}
