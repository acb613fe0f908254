/**
 * Golden vectors of our own (the shared note: no published vector decrypts to a transaction). Made
 * once with node:crypto from the emulator dev keys (emulator-pay-keys.ts; the platform key is
 * wechatpay-go's published test pair, so RSA PKCS#1 v1.5 and GCM with a fixed nonce are
 * deterministic): they pin our verifier, our decryption and the emulator's signing together.
 */
export const GOLDEN_TRANSACTION = {
  appid: 'wx-emulator',
  mchid: '1900000109',
  out_trade_no: 'GOLDEN20261206001',
  transaction_id: '4200000000202612060000000001',
  trade_type: 'JSAPI',
  trade_state: 'SUCCESS',
  trade_state_desc: '支付成功',
  bank_type: 'OTHERS',
  attach: '',
  success_time: '2026-12-06T15:00:00+08:00',
  payer: {
    openid: 'oGoldenOpenid000000000000000'
  },
  amount: {
    total: 2990,
    payer_total: 2990,
    currency: 'CNY',
    payer_currency: 'CNY'
  }
};

/** A TRANSACTION.SUCCESS notify as the emulator sends it: the exact body bytes and their headers. */
export const GOLDEN_NOTIFY = {
  timestamp: '1796540400',
  nonce: 'GoldenHeaderNonce0000000000000000',
  resourceNonce: 'GoldenNonce1',
  ciphertext: 'B1zdtAXTHmXwGqRlEo7ppEgJXBAy2DoydMRje5f8da8iIGHp3IfKjuREVxI+NUhcrWJKvmzOXAybYrZ2se2kAtBstVfITI2a4GPGpIa8LFj45FKk+Up5CeSNsVy6DS9zo33kf8z9uXezVT5aszXYoRENSTGHqGiLr+l5hFXeLiurNwUJZaorJcu94cZZQJfBDjBjFVpofwQFzRcrVUuFrshuVBPiuueNjbChzejxrdwgmVSQ96dTrnz8svP/VSR/3HudUFW2B93RVThCtdWtr5rqtVDOa9vv6DsmPNnFecGyamd34lrBnFAg0wnObjAjc5kfvWlsNjOZR4+l6RuV1z8FzYa5MpCZswJsKsNHuXOl9+t3CLz40B4ja/KDnORtc5vMf9wZwJ1etHDHMdnOM/ykXYJ25c9pFp4Pb0FiYXOz0ifYGmBAMxkwGSQQqdal3M7LO81cH9u6JNCAQEyyg9PEM7lQJCl+uTvb7Dl69xt5cQpEceKwdgg5Lx38EcRiKsQk5OcU0sWRe3hvlpFrdt3zqTuiwLRCPTb38D8s73vEXx9eA+QULf/icDUWaeY=',
  body: '{"id":"golden-0001","create_time":"2026-12-06T15:00:01+08:00","resource_type":"encrypt-resource","event_type":"TRANSACTION.SUCCESS","summary":"支付成功","resource":{"original_type":"transaction","algorithm":"AEAD_AES_256_GCM","ciphertext":"B1zdtAXTHmXwGqRlEo7ppEgJXBAy2DoydMRje5f8da8iIGHp3IfKjuREVxI+NUhcrWJKvmzOXAybYrZ2se2kAtBstVfITI2a4GPGpIa8LFj45FKk+Up5CeSNsVy6DS9zo33kf8z9uXezVT5aszXYoRENSTGHqGiLr+l5hFXeLiurNwUJZaorJcu94cZZQJfBDjBjFVpofwQFzRcrVUuFrshuVBPiuueNjbChzejxrdwgmVSQ96dTrnz8svP/VSR/3HudUFW2B93RVThCtdWtr5rqtVDOa9vv6DsmPNnFecGyamd34lrBnFAg0wnObjAjc5kfvWlsNjOZR4+l6RuV1z8FzYa5MpCZswJsKsNHuXOl9+t3CLz40B4ja/KDnORtc5vMf9wZwJ1etHDHMdnOM/ykXYJ25c9pFp4Pb0FiYXOz0ifYGmBAMxkwGSQQqdal3M7LO81cH9u6JNCAQEyyg9PEM7lQJCl+uTvb7Dl69xt5cQpEceKwdgg5Lx38EcRiKsQk5OcU0sWRe3hvlpFrdt3zqTuiwLRCPTb38D8s73vEXx9eA+QULf/icDUWaeY=","associated_data":"transaction","nonce":"GoldenNonce1"}}',
  bodySha256: '7e4ac6523199f9981976f76d4794bbf8c3baaf81b1d4c791b49f2c7562ddc718',
  signature:
    'rcUi0OUksgRdKdksk7QLowLlNDdc01S+m/HHW2yuIYwPv4va3KfV1TdT8aMyp3vHNxEsitibyY2SOiLNtJeHKXyRKISTbxUkfMYOBgUXmKwH2sCozLOHvfLQujqakvmMb1zaVu0iad0NxbSZL9WNTjQrwqLHsKcy8fe0/LEUd5JI3h31AectAflRz3h4hAwmwiD59QN8MQjQjF/5bz4dbr/Gmij/BRA+6aFbzBC8S0DtsJ7SsllxN34Et0MO2q27wExmCIC84jL98/iO5h40ddOOdSeYMsxY0jdtoWRD5hR0UTMiPDJji/VexQXV3ovI6Jl/5uGXWFul070ke/vDyw==',
};

/** Our request signature (emulator merchant key) over POST /v3/pay/transactions/jsapi {"a":1} at 1796540400, nonce GOLDENNONCE. */
export const GOLDEN_REQUEST_SIGNATURE =
  'PhLVltTd51b+oRkjVZARgVr8sLly5iedJ6q5HHqXKccNiSbJZnLl6lqbJ2fDXxR9b+jR8aPF8WTyrTuw+FvNbYHRBendns+CpsYsv2YbgFZQzg5ObW7OUMM/Qtfp2QBwRfJmKHGQjEP0R82dx/DSv5hgW7u2OSJUBStdOec/TY3wAYxm1wNO45xGL+bsPwSeV8ygTo8PxptCkb8QQGr+mCTf9WLENE+KKsm/q/LS1viUcePc8M0VdJy6QDgNX649tmsqVctjdFIbZ1QJAauPn0Mph8ZZuXYdr35rvS5+nCBivbxLTb5gDQveDGuQWiVf3WdCDut3XN3VdBNY4K+uvQ==';

/** paySign (emulator merchant key) for appId wx-emulator, timeStamp 1796540400, nonceStr GOLDENNONCE, prepay_id=wx_golden. */
export const GOLDEN_PAY_SIGN =
  'jpmYb4aUVwgiM1YxFOTq/QVJZ7RCJm9K8bg/+qMW1EeVd1+/Vgmp+CqyQhbQkP8nX33SumaqzhXyU/kVrBcYNffcKF/gYrjTQjSEtU8Y/kwl4gDz47cPDCYJixXqcblq7YR13LoJDej0crGfErElg/xSFuq+5jQwT6AvOS6Tfl8LUQyuovgONTAarvMI/dOgQuCRymZdPi8fFBU/GpTxh8ukNJsWR5Jk4i73W/UsGDrS0INGsjs42/EgDwXzjGtyb1phD7Jtq3sHDO27WGEo6k3mPNpXE6SYGeWTQ0Fwy0Yf4bbxx/Olw/JB+KX2zTL5c8x4GGAt480JJ11O5JK5lw==';
