import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import fc from 'fast-check';
import {
  EMULATOR_PAY_APIV3_KEY,
  EMULATOR_PAY_MERCHANT_PRIVATE_KEY,
  EMULATOR_PAY_MERCHANT_PUBLIC_KEY,
  EMULATOR_PAY_PLATFORM_KEY_ID,
  EMULATOR_PAY_PLATFORM_PUBLIC_KEY,
} from './emulator-pay-keys';
import { GOLDEN_NOTIFY, GOLDEN_PAY_SIGN, GOLDEN_REQUEST_SIGNATURE, GOLDEN_TRANSACTION } from './wechat-pay.golden.fixture';
import {
  buildAuthorization,
  decryptAeadAesGcm,
  encryptAeadAesGcm,
  loadPrivateKey,
  loadPublicKey,
  parseAuthorization,
  paySign,
  requestSignatureMessage,
  responseSignatureMessage,
  verifySha256WithRsa,
  WechatPayCryptoError,
  WechatPayVerifier,
} from './wechat-pay.crypto';

/** wechatpay-go core/auth/verifiers/sha256withrsa_pubkey_verifier_test.go and core/notify/notify_test.go. */
const GO_PUBLIC_KEY = EMULATOR_PAY_PLATFORM_PUBLIC_KEY;
const GO_SIGNATURE_OF_SOURCE =
  'BKyAfU4iMCuvXMXS0Wzam3V/cnxZ+JaqigPM5OhljS2iOT95OO6Fsuml2JkFANJU9K6q9bLlDhPXuoVz+pp4hAm6pHU4ld815U4jsKu1RkyaII+1CYBUYC8TK0XtJ8FwUXXz8vZHh58rrAVN1XwNyvD1vfpxrMT4SL536GLwvpUHlCqIMzoZUguLli/K8V29QiOhuH6IEqLNJn8e9b3nwNcQ7be3CzYGpDAKBfDGPCqCv8Rw5zndhlffk2FEA70G4hvMwe51qMN/RAJbknXG23bSlObuTCN7Ndj1aJGH6/L+hdwfLpUtJm4QYVazzW7DFD27EpSQEqA8bX9+8m1rLg==';
const GO_NOTIFY = {
  serial: 'D7CE59D1F522D701',
  timestamp: '1624523846',
  nonce: 'EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz',
  signature:
    'tJHIiIS9eB2hAYstmAmbbD3ZE5LiIm/Ug5tuL4fC0YOFRWIHV39UFIZXC0e9Wl6lBu6sKvkqDkzpqzBsVHyXFlbYZTOQrVdG4b6LfTnK4mikv9++ixJMd3vTf2yCqvBkh98zs3Ds5zsYQakzbcwhmw4fMJs4nPLws28H0UW9FjDR//rxELLwXvV1VEA1IBLX70xptjL8hrfUjEE8kkry6yNJTHZRU8CAc7qHli2Ng1V1qb9ARbK8A3ThmFmPQvRGrapI/jS2laKKgYUmfdEdkNO6B2Cke5e8VTxY406ArAmQ90GAihDwIcb16TQMnzCMBoutnwZKNiKRACrFmtxw2Q==',
  body: '{"id":"3119dfba-e649-5eec-ab1e-3412bc4d2e17","create_time":"2021-06-24T16:37:26+08:00","resource_type":"encrypt-resource","event_type":"PAYSCORE.USER_OPEN_SERVICE","summary":"签约成功","resource":{"original_type":"payscore","algorithm":"AEAD_AES_256_GCM","ciphertext":"YDS3lKPaC4Y52Gf3uhft5qUBlIa8b428AWTtTauHQfQrRw+X1WpiuHIDy0vo1Vd6VEq67aVyqPdDYMkRVSDaZL3iZttevRMOoPKMifozg6XPWjIZumks/GpT48lI4NizyeaqLBokNebthah3o1H76qSlO9NkDjp9bzmKLEYYH9TEklFUpsvPqOTOcgSLgh21YJXYR7dEBXFgRLiNIKRgO5JdXh1hccRUAlyVWxE54PXpnQ==","associated_data":"payscore","nonce":"Kj7QIyUiYx1q"}}',
  apiV3Key: 'testMchAPIv3Key0',
  plaintext:
    '{"mchid":"1234567890","appid":"054aa7d7a2a54ab5898df65bd96f001c","create_time":"2020-06-30T12:12:00+08:00","out_contract_code":"21640bdbd08e473e828f3206a2741c6e"}',
};

const failure = (run: () => unknown): WechatPayCryptoError => {
  try {
    run();
  } catch (error) {
    if (error instanceof WechatPayCryptoError) return error;
    throw error;
  }
  throw new Error('expected a WechatPayCryptoError');
};

describe('WeChat Pay v3 crypto: published vectors', () => {
  const goKey = loadPublicKey(GO_PUBLIC_KEY);

  it('verifies the wechatpay-go SHA256withRSA signature of "source", and nothing else', () => {
    expect(verifySha256WithRsa('source', GO_SIGNATURE_OF_SOURCE, goKey)).toBe(true);
    expect(verifySha256WithRsa('source ', GO_SIGNATURE_OF_SOURCE, goKey)).toBe(false);
    expect(verifySha256WithRsa('source', GO_SIGNATURE_OF_SOURCE.replace('BKy', 'BKz'), goKey)).toBe(false);
    expect(verifySha256WithRsa('source', 'not base64 at all', goKey)).toBe(false);
  });

  it('verifies the wechatpay-go notify over its exact 568 raw bytes and decrypts its resource', () => {
    const raw = Buffer.from(GO_NOTIFY.body, 'utf8');
    expect(raw.length).toBe(568);
    expect(createHash('sha256').update(raw).digest('hex')).toBe('b6fdfc5e4afdc463950d873c4fdc3c494df05965016225c6a1e8e2e887cdc94d');
    // the test in wechatpay-go fixes its clock at the vector's timestamp; so does this one
    const verifier = new WechatPayVerifier(new Map([[GO_NOTIFY.serial, goKey]]), { now: () => 1624523846_000 });
    expect(verifier.verify(GO_NOTIFY, raw)).toBe(GO_NOTIFY.serial);

    const envelope = JSON.parse(GO_NOTIFY.body) as { resource: { ciphertext: string; nonce: string; associated_data: string } };
    // its APIv3 key is 16 bytes, so this one vector is AES-128-GCM
    expect(decryptAeadAesGcm(envelope.resource, Buffer.from(GO_NOTIFY.apiV3Key)).toString('utf8')).toBe(GO_NOTIFY.plaintext);
  });

  it('refuses the same notify re-serialised, tampered, under another serial, or at another time', () => {
    const verifier = new WechatPayVerifier(new Map([[GO_NOTIFY.serial, goKey]]), { now: () => 1624523846_000 });
    const pretty = Buffer.from(JSON.stringify(JSON.parse(GO_NOTIFY.body), null, 2));
    expect(failure(() => verifier.verify(GO_NOTIFY, pretty)).reason).toBe('bad_signature');
    const compact = Buffer.from(JSON.stringify(JSON.parse(GO_NOTIFY.body)).replace('"id"', '"id" '));
    expect(failure(() => verifier.verify(GO_NOTIFY, compact)).reason).toBe('bad_signature');
    expect(failure(() => verifier.verify({ ...GO_NOTIFY, nonce: `${GO_NOTIFY.nonce}x` }, GO_NOTIFY.body)).reason).toBe('bad_signature');
    expect(failure(() => verifier.verify({ ...GO_NOTIFY, serial: 'PUB_KEY_ID_0000' }, GO_NOTIFY.body)).reason).toBe('unknown_serial');
    // the real clock: the vector is years old
    const now = new WechatPayVerifier(new Map([[GO_NOTIFY.serial, goKey]]));
    expect(failure(() => now.verify(GO_NOTIFY, GO_NOTIFY.body)).reason).toBe('stale_timestamp');
    expect(now.verify(GO_NOTIFY, GO_NOTIFY.body, { skipTimestampCheck: true })).toBe(GO_NOTIFY.serial);
  });

  it('decrypts the wechatpay-java AES-256-GCM vector', () => {
    const resource = { ciphertext: 'ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=', nonce: 'uluk4a9R25RW', associated_data: 'associatedData' };
    expect(decryptAeadAesGcm(resource, Buffer.from('a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb')).toString()).toBe('message');
    // the tag is checked: another AAD, a flipped bit, a wrong key all fail
    expect(failure(() => decryptAeadAesGcm({ ...resource, associated_data: 'associatedDatb' }, Buffer.from('a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb'))).reason).toBe(
      'decrypt_failed',
    );
    const flipped = Buffer.from(resource.ciphertext, 'base64');
    flipped[flipped.length - 1] ^= 1;
    expect(
      failure(() => decryptAeadAesGcm({ ...resource, ciphertext: flipped.toString('base64') }, Buffer.from('a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb'))).reason,
    ).toBe('decrypt_failed');
    expect(failure(() => decryptAeadAesGcm(resource, Buffer.from('b7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb'))).reason).toBe('decrypt_failed');
  });

  it('decrypts the wechatpay-go AES-GCM vector (16-byte key)', () => {
    const resource = { ciphertext: 'FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC', nonce: 'wCq51qZv4Yfg', associated_data: 'Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8' };
    expect(decryptAeadAesGcm(resource, Buffer.from('testAPIv3Key0000')).toString()).toBe('Hello World');
  });
});

describe('WeChat Pay v3 crypto: our golden vectors (emulator dev keys)', () => {
  const platformKeys = new Map([[EMULATOR_PAY_PLATFORM_KEY_ID, loadPublicKey(EMULATOR_PAY_PLATFORM_PUBLIC_KEY)]]);
  const at = (seconds: number) => () => seconds * 1000;
  const headers = { serial: EMULATOR_PAY_PLATFORM_KEY_ID, signature: GOLDEN_NOTIFY.signature, timestamp: GOLDEN_NOTIFY.timestamp, nonce: GOLDEN_NOTIFY.nonce };

  it('verifies and decrypts the golden TRANSACTION.SUCCESS notify', () => {
    expect(createHash('sha256').update(GOLDEN_NOTIFY.body).digest('hex')).toBe(GOLDEN_NOTIFY.bodySha256);
    new WechatPayVerifier(platformKeys, { now: at(1796540400) }).verify(headers, Buffer.from(GOLDEN_NOTIFY.body));
    const { resource } = JSON.parse(GOLDEN_NOTIFY.body) as { resource: { ciphertext: string; nonce: string; associated_data: string } };
    expect(JSON.parse(decryptAeadAesGcm(resource, Buffer.from(EMULATOR_PAY_APIV3_KEY)).toString())).toEqual(GOLDEN_TRANSACTION);
    // GCM with a fixed nonce is deterministic: our encryption reproduces the ciphertext
    expect(encryptAeadAesGcm(JSON.stringify(GOLDEN_TRANSACTION), Buffer.from(EMULATOR_PAY_APIV3_KEY), GOLDEN_NOTIFY.resourceNonce, 'transaction')).toBe(
      GOLDEN_NOTIFY.ciphertext,
    );
  });

  it('holds the 300 s window at both ends and refuses SIGNTEST probes before anything else', () => {
    const verify = (nowS: number, override: Partial<typeof headers> = {}) =>
      new WechatPayVerifier(platformKeys, { now: at(nowS) }).verify({ ...headers, ...override }, GOLDEN_NOTIFY.body);
    expect(verify(1796540400 + 299)).toBe(EMULATOR_PAY_PLATFORM_KEY_ID);
    expect(verify(1796540400 - 299)).toBe(EMULATOR_PAY_PLATFORM_KEY_ID);
    expect(failure(() => verify(1796540400 + 300)).reason).toBe('stale_timestamp');
    expect(failure(() => verify(1796540400 - 300)).reason).toBe('stale_timestamp');
    expect(failure(() => verify(1796540400, { signature: `WECHATPAY/SIGNTEST/${GOLDEN_NOTIFY.signature}` })).reason).toBe('signtest_probe');
    expect(failure(() => verify(1796540400, { nonce: undefined })).reason).toBe('missing_headers');
    expect(failure(() => verify(1796540400, { timestamp: '17965404OO' })).reason).toBe('malformed');
  });

  it('chooses the key by Wechatpay-Serial: a certificate serial and a PUB_KEY_ID_ key side by side', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const both = new Map([
      ['5157F09EFDC096DE15EBE81A47057A7232F1B8E1', other.publicKey],
      [EMULATOR_PAY_PLATFORM_KEY_ID, loadPublicKey(EMULATOR_PAY_PLATFORM_PUBLIC_KEY)],
    ]);
    const verifier = new WechatPayVerifier(both, { now: at(1796540400) });
    expect(verifier.verify(headers, GOLDEN_NOTIFY.body)).toBe(EMULATOR_PAY_PLATFORM_KEY_ID);
    // the right signature under the other serial is the wrong key
    expect(failure(() => verifier.verify({ ...headers, serial: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1' }, GOLDEN_NOTIFY.body)).reason).toBe(
      'bad_signature',
    );
  });

  it('signs requests and paySign exactly as pinned, and verifies them with the merchant public key', () => {
    const privateKey = loadPrivateKey(EMULATOR_PAY_MERCHANT_PRIVATE_KEY);
    const signed = buildAuthorization(
      { mchId: '1900000109', serialNo: 'SERIAL', privateKey },
      { method: 'POST', pathAndQuery: '/v3/pay/transactions/jsapi', body: '{"a":1}' },
      { timestamp: '1796540400', nonce: 'GOLDENNONCE' },
    );
    expect(signed.signature).toBe(GOLDEN_REQUEST_SIGNATURE);
    expect(parseAuthorization(signed.authorization)).toEqual({
      mchid: '1900000109',
      serial_no: 'SERIAL',
      timestamp: '1796540400',
      nonce_str: 'GOLDENNONCE',
      signature: GOLDEN_REQUEST_SIGNATURE,
    });
    expect(requestSignatureMessage('get', '/v3/x?mchid=1', '1', 'N', '')).toBe('GET\n/v3/x?mchid=1\n1\nN\n\n');
    const fields = { appId: 'wx-emulator', timeStamp: '1796540400', nonceStr: 'GOLDENNONCE', package: 'prepay_id=wx_golden' };
    expect(paySign(fields, privateKey)).toBe(GOLDEN_PAY_SIGN);
    const merchantPublic = loadPublicKey(EMULATOR_PAY_MERCHANT_PUBLIC_KEY);
    expect(verifySha256WithRsa('wx-emulator\n1796540400\nGOLDENNONCE\nprepay_id=wx_golden\n', GOLDEN_PAY_SIGN, merchantPublic)).toBe(true);
  });

  it('reads keys from PEM, one-line PEM with \\n escapes, base64 bodies and certificates', () => {
    const pem = EMULATOR_PAY_PLATFORM_PUBLIC_KEY;
    const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    const der = (key: ReturnType<typeof loadPublicKey>) => key.export({ type: 'spki', format: 'der' }).toString('base64');
    expect(der(loadPublicKey(pem.replace(/\n/g, '\\n')))).toBe(body);
    expect(der(loadPublicKey(body))).toBe(body);
    expect(parseAuthorization('Bearer x')).toBeNull();
    expect(parseAuthorization('WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",timestamp="1",serial_no="s"')).toBeNull();
    expect(() => loadPublicKey('bm90IGEga2V5')).toThrow();
  });
});

describe('WeChat Pay v3 crypto: cross-checked with wechatpay-axios-plugin (test only)', () => {
  const merchantPrivate = loadPrivateKey(EMULATOR_PAY_MERCHANT_PRIVATE_KEY);
  const merchantPublic = createPublicKey(merchantPrivate);

  it('our request signature verifies with the plugin, over the message the plugin formats', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'POST'),
        fc.string({ minLength: 1, maxLength: 40 }).map((s) => `/v3/${encodeURIComponent(s)}`),
        fc.string({ maxLength: 200 }),
        (method, path, body) => {
          const signed = buildAuthorization({ mchId: '1', serialNo: 'S', privateKey: merchantPrivate }, { method, pathAndQuery: path, body });
          const message = Formatter.request(method, path, signed.timestamp, signed.nonce, body) as string;
          expect(message).toBe(requestSignatureMessage(method, path, signed.timestamp, signed.nonce, body));
          expect(Rsa.verify(message, signed.signature, merchantPublic)).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('what the plugin signs as a response, our verifier accepts; what we encrypt, the plugin decrypts, and back', () => {
    const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const verifier = new WechatPayVerifier(new Map([['PUB_KEY_ID_X', platform.publicKey]]));
    const key = Buffer.from(EMULATOR_PAY_APIV3_KEY);
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ minLength: 12, maxLength: 12, unit: 'grapheme-ascii' }), (body, nonce) => {
        const timestamp = String(Math.floor(Date.now() / 1000));
        const signature = Rsa.sign(Formatter.response(timestamp, nonce, body), platform.privateKey) as string;
        expect(verifier.verify({ serial: 'PUB_KEY_ID_X', signature, timestamp, nonce }, Buffer.from(body))).toBe('PUB_KEY_ID_X');
        expect(responseSignatureMessage(timestamp, nonce, body).toString()).toBe(Formatter.response(timestamp, nonce, body));
        const ours = encryptAeadAesGcm(body, key, nonce, 'transaction');
        expect(Aes.AesGcm.decrypt(ours, key, nonce, 'transaction')).toBe(body);
        const theirs = Aes.AesGcm.encrypt(body, key, nonce, 'refund') as string;
        expect(decryptAeadAesGcm({ ciphertext: theirs, nonce, associated_data: 'refund' }, key).toString()).toBe(body);
      }),
      { numRuns: 25 },
    );
  });
});
