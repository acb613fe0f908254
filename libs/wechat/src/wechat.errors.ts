import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '@app/http';

/** What WeChat's errcodes become for our clients (auth block, 2100-2199). */
export const WechatError = defineErrors('wechat', {
  InvalidCode: { code: 2101, status: HttpStatus.UNAUTHORIZED, message: 'The WeChat code is invalid or expired' },
  CodeUsed: { code: 2102, status: HttpStatus.UNAUTHORIZED, message: 'The WeChat code has already been used' },
  FrequencyLimited: { code: 2103, status: HttpStatus.TOO_MANY_REQUESTS, message: 'WeChat frequency limit reached, retry later' },
  HighRiskUser: { code: 2104, status: HttpStatus.FORBIDDEN, message: 'WeChat flagged this user as high risk' },
  Busy: { code: 2105, status: HttpStatus.SERVICE_UNAVAILABLE, message: 'WeChat is busy, retry later' },
  UpstreamError: { code: 2106, status: HttpStatus.BAD_GATEWAY, message: 'WeChat answered with an unexpected error' },
  BadResponse: { code: 2107, status: HttpStatus.BAD_GATEWAY, message: 'WeChat answered with an unreadable response' },
  Misconfigured: { code: 2108, status: HttpStatus.SERVICE_UNAVAILABLE, message: 'WeChat integration is not available' },
  InvalidPhoneCode: { code: 2109, status: HttpStatus.BAD_REQUEST, message: 'The phone number code is invalid, expired or used' },
});

/** WeChat's documented errcodes we act on. */
export const WechatErrcode = {
  SystemBusy: -1,
  InvalidCredential: 40001,
  InvalidAppId: 40013,
  InvalidCode: 40029,
  InvalidAppSecret: 40125,
  CodeUsed: 40163,
  HighRiskUser: 40226,
  AccessTokenExpired: 42001,
  FrequencyLimited: 45011,
} as const;
