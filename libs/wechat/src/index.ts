export { decryptWechatData, verifyRawDataSignature, WechatCryptoError, type EncryptedPayload } from './wechat-crypto';
export { MemoryAccessTokenStore, RedisAccessTokenStore, type AccessTokenStore, type StoredAccessToken } from './access-token.store';
export { WechatApiClient, type WechatPhoneNumber, type WechatSession } from './wechat-api.client';
export { EMULATOR_APP_ID, loadWechatConfig, WECHAT_DEFAULT_API_BASE, wechatConfig, type WechatConfig } from './wechat.config';
export { WechatErrcode, WechatError } from './wechat.errors';
export { WechatCallErrors } from './wechat-call.errors';
export { WechatModule } from './wechat.module';
export {
  WechatPayGateway,
  type JsapiPrepayInput,
  type NotifyHeaders,
  type PayNotification,
  type PayRefund,
  type PayTransaction,
  type RefundInput,
  type RefundStatus,
  type RequestPaymentParams,
  type TradeState,
} from './pay/wechat-pay.gateway';
export {
  emulatorPayEnvironment,
  loadWechatPayConfig,
  parsePlatformKeys,
  WECHAT_PAY_DEFAULT_API_BASE,
  wechatPayConfig,
  type WechatPayConfig,
} from './pay/wechat-pay.config';
export {
  isRetryableWechatPayError,
  normaliseWechatPayCode,
  WechatPayCallErrors,
  WechatPayError,
  WechatPayNotifyErrors,
  WechatPayRejectedError,
} from './pay/wechat-pay.errors';
export {
  buildAuthorization,
  decryptAeadAesGcm,
  encryptAeadAesGcm,
  parseAuthorization,
  paySign,
  WechatPayCryptoError,
  signatureHeadersOf,
  WechatPayVerifier,
  type WechatPaySignatureHeaders,
} from './pay/wechat-pay.crypto';
export { toWechatPayTime, WechatPayClient, type WechatPayClientOptions } from './pay/wechat-pay.client';
export { WechatPayModule } from './pay/wechat-pay.module';
