import { HttpStatus } from '@nestjs/common';
import type { ErrorDefinition } from './app-error';
import { CommonError } from './common.errors';

const BY_STATUS: Record<number, ErrorDefinition> = {
  [HttpStatus.BAD_REQUEST]: CommonError.BadRequest,
  [HttpStatus.UNAUTHORIZED]: CommonError.Unauthorized,
  [HttpStatus.FORBIDDEN]: CommonError.Forbidden,
  [HttpStatus.NOT_FOUND]: CommonError.NotFound,
  [HttpStatus.METHOD_NOT_ALLOWED]: CommonError.MethodNotAllowed,
  [HttpStatus.REQUEST_TIMEOUT]: CommonError.RequestTimeout,
  [HttpStatus.CONFLICT]: CommonError.Conflict,
  [HttpStatus.PAYLOAD_TOO_LARGE]: CommonError.PayloadTooLarge,
  [HttpStatus.URI_TOO_LONG]: CommonError.UriTooLong,
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: CommonError.UnsupportedMediaType,
  [HttpStatus.UNPROCESSABLE_ENTITY]: CommonError.Unprocessable,
  [HttpStatus.TOO_MANY_REQUESTS]: CommonError.TooManyRequests,
  [CommonError.HeadersTooLarge.status]: CommonError.HeadersTooLarge,
  [HttpStatus.BAD_GATEWAY]: CommonError.BadGateway,
  [HttpStatus.SERVICE_UNAVAILABLE]: CommonError.ServiceUnavailable,
  [HttpStatus.GATEWAY_TIMEOUT]: CommonError.GatewayTimeout,
};

/** The common error a bare HTTP status stands for, when nothing more specific is known. */
export function definitionForStatus(status: number): ErrorDefinition {
  return BY_STATUS[status] ?? (status >= 500 ? CommonError.Internal : CommonError.BadRequest);
}

/**
 * Seconds a 503 tells the client to wait (Retry-After) unless its definition names its own
 * (`retryAfterS`): the shortest cool-down behind a 503 here (the Redis circuit probes every
 * second, readiness moves traffic to other instances), so a client comes back soon, and its own
 * backoff spaces out further tries.
 */
export const DEFAULT_RETRY_AFTER_S = 1;
