import type { ErrorDefinition } from '@app/http';
import { DependencyErrors } from '@app/resilience';
import { WechatError } from './wechat.errors';

/**
 * What any call to WeChat's server can end in, whatever it asks (see WechatApiClient): for the
 * @ApiErrors of routes that call WeChat, next to the errors of the call itself.
 */
export const WechatCallErrors: readonly ErrorDefinition[] = [
  WechatError.FrequencyLimited,
  WechatError.Busy,
  WechatError.UpstreamError,
  WechatError.BadResponse,
  WechatError.Misconfigured,
  ...DependencyErrors,
];
