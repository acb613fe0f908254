/**
 * Fixed, PUBLIC development keys for paying through the WeChat emulator (the embedded profile and
 * the tests), like EMULATOR_APP_ID. They are in the repository, so they protect nothing: the
 * production profile refuses every one of them (wechat-pay.config.ts). The platform key pair is
 * the one wechatpay-go publishes in its tests (its private key lives in the emulator only), so the
 * published vectors and our golden vectors pin the verifier and the emulator together.
 */
export const EMULATOR_PAY_MCH_ID = '1900000109';
export const EMULATOR_PAY_MERCHANT_SERIAL = '83748DA635460F591E9ABC68A3E34CB8949D5D4A';
/** 32 bytes, as WeChat requires of an APIv3 key. */
export const EMULATOR_PAY_APIV3_KEY = 'emulator-apiv3-key-is-not-secret';
export const EMULATOR_PAY_PLATFORM_KEY_ID = 'PUB_KEY_ID_0119000001092026120600000000000001';

export const EMULATOR_PAY_MERCHANT_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQC/frOsHUZ2/ZpL
8e3t0xFhpdTG0Br0migz0/pbvxPzwy+b0nsdZfs+GQcmrYy1Bg3T/znO730dBxCT
jL0IzYexE1gO5cBAB6wzriTLkjaTBYCVDaJHEKVNbvGlpIBteauVNyG9FcZAgxDF
rBO217CN2tyCKLgOqWtLvDudyS1PnUtoneOqev9omS/l/MRgHjsB6sH/AnF6yaze
CY+zLrraGmxjEAAFSq2VXv5NWwmiSLDsIxS7nI7fY89v7vnZ7gg7ORyOkczS0rEV
GSDEHvSlUYS4eh8GT/5h/XyuvZvnW8aKYZGAJGqHrHy1YFuF5KeparxYVatOBK7v
HzP+VrfDAgMBAAECgf9gRXOemaNCFTdniZbN76x1oD4SHSX0ZZd3YsitPWc8G3jm
kYpwYSbV4dNnbxJSkOgPYxQqG7swwWaPs0oZdNMr/aMyE6tvZbnBLXmIzUVjSJBV
EX50LWRpF9IiigLQQ04G/MvsfrbSKDHo76mU7c9PWXfhYk9UTBS6tTlDiN71Z3JJ
CWhO1LmUFSBM2+stvKordbf166Hyra9Ew/OlOwVStv5ItCZSbm2mutxQ5g2drZmr
QZ9lYdDsRAQ6ePGo66SXF8Evxtl0u4GRYJTlR0698ksGlU0UZPzZqwJZJ233lgGI
lm2h+EdXXjj/AZ/PRmeMHh5RxiH1RocuHF2VmhECgYEA5qeYz5w84ZBdgO/gD2GH
G/6rM3cq9RniWVUtlr3YkTOYdf+r4PeEd8aQwWEzf8cK7Mh7peji25kB1Ik1uijI
vfToHBm4VFD7t8zNTRQ/C5GlCv06ldAtD5TZzZD9Omnm6JX5UnVbvm6pDg1t9IRd
5plPU6+7NnyqTq0nPBZmGlECgYEA1ImGx21YXhbQcmHU41ENJXp1HYuntSOplGLD
fIE6G5Yo61bAd2Tl8KD5/EOVT2rjsW9yQ9U68u8DWckntrUAmAGxgHQsJbLBg/z5
8YRTaOKaeHIh+iR+aJlCOX44v8Olqg5+HOD7KCSq0CVIz6dbfA4kGNcgCGXeNWEj
TVyF19MCgYEA3bOARSWmuyT5SyLGGeKjbDwoMKq9hqOflkAyNq86B68xP1JF0lH3
aO1aXBXi21HlZVz6xKkJzQvP34sXMl1bPoK1y7TJIXpJyQw41Xq9cpBGtD5c3n0f
otdvVpCjZk8+nJby89hMG8ngAtrTsnC8lRcNUaIa7696P29dw/q/n1ECgYAKh7HM
yacaKkkzkZNJm+dp1vJcf2HUwKqTNn12+rQVT9BBMLAiejZGQMOB8xs/rw0O6nWf
1L2x8ZOZ7DRyge9AmLzhn1/ckkmyL2N2ytaTGL8MfqMeUJaOuiEk1hMbtSbNESDA
b4kiCQcJfv9ngmQu9khljqsAn4Nt450rJQ1gjwKBgQDEuAC3Bm+hXRHyH3jWEIp6
WFB7jP5ixufS/BonyZFDGxlyDVsD7bgFmtHBcGhY5JN/0mmC0dCdJlvKT3uxmdff
edJPpVxpJGK4yUpzUbrb+WPL20dXdcqUVrQ5n+d3Gno0TvQnjVBcIwNMhFa41dQh
dNWOykPR1j0uYVj2hNSvUA==
-----END PRIVATE KEY-----`;

export const EMULATOR_PAY_MERCHANT_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAv36zrB1Gdv2aS/Ht7dMR
YaXUxtAa9JooM9P6W78T88Mvm9J7HWX7PhkHJq2MtQYN0/85zu99HQcQk4y9CM2H
sRNYDuXAQAesM64ky5I2kwWAlQ2iRxClTW7xpaSAbXmrlTchvRXGQIMQxawTttew
jdrcgii4DqlrS7w7ncktT51LaJ3jqnr/aJkv5fzEYB47AerB/wJxesms3gmPsy66
2hpsYxAABUqtlV7+TVsJokiw7CMUu5yO32PPb+752e4IOzkcjpHM0tKxFRkgxB70
pVGEuHofBk/+Yf18rr2b51vGimGRgCRqh6x8tWBbheSnqWq8WFWrTgSu7x8z/la3
wwIDAQAB
-----END PUBLIC KEY-----`;

/** wechatpay-go core/auth/verifiers/sha256withrsa_pubkey_verifier_test.go (the shared note's vector key). */
export const EMULATOR_PAY_PLATFORM_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2VCTd91fnUn73Xy9DLvt
/V62TVxRTEEstVdeRaZ3B3leO0pldE806mXO4RwdHXagHQ4vGeZN0yqm++rDsGK+
U3AH7kejyD2pXshNP9Cq5YwbptiLGtjcquw4HNxJQUOmDeJf2vg6byms9RUipiq4
SzbJKqJFlUpbuIPDpSpWz10PYmyCNeDGUUK65E5h2B834uxl1zNLYQCrkdBzb8oU
xwYeP5a2DNxmjL5lsJML7DGr5znsevnoqGRwTm9fxCGfy8wus7hwKz6clt3Whmmd
a7UAdb1c08hEQFVRbF14AR73xbnd8N0obCWJPCbzMCtkaSef4FdEEgEXJiw0VAJT
8wIDAQAB
-----END PUBLIC KEY-----`;
