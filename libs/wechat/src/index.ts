export { decryptWechatData, verifyRawDataSignature, WechatCryptoError, type EncryptedPayload } from './wechat-crypto';
