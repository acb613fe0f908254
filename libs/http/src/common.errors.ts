import { HttpStatus } from '@nestjs/common';
import { defineErrors } from './app-error';

/** Errors every module can raise; codes 1000-1999. Never renumber: clients match on them. */
export const CommonError = defineErrors('common', {
  Internal: { code: 1000, status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error' },
  ValidationFailed: { code: 1001, status: HttpStatus.BAD_REQUEST, message: 'Request validation failed' },
  MalformedJson: { code: 1002, status: HttpStatus.BAD_REQUEST, message: 'Request body is not valid JSON' },
  PayloadTooLarge: { code: 1003, status: HttpStatus.PAYLOAD_TOO_LARGE, message: 'Request body is too large' },
  UnsupportedMediaType: {
    code: 1004,
    status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    message: 'Unsupported content type',
  },
  RouteNotFound: { code: 1005, status: HttpStatus.NOT_FOUND, message: 'Route not found' },
  MethodNotAllowed: { code: 1006, status: HttpStatus.METHOD_NOT_ALLOWED, message: 'Method not allowed' },
  TooManyRequests: { code: 1007, status: HttpStatus.TOO_MANY_REQUESTS, message: 'Too many requests' },
  ServiceUnavailable: { code: 1008, status: HttpStatus.SERVICE_UNAVAILABLE, message: 'Service unavailable' },
  Unauthorized: { code: 1009, status: HttpStatus.UNAUTHORIZED, message: 'Authentication required' },
  Forbidden: { code: 1010, status: HttpStatus.FORBIDDEN, message: 'Forbidden' },
  Conflict: { code: 1011, status: HttpStatus.CONFLICT, message: 'Conflict' },
  Unprocessable: { code: 1012, status: HttpStatus.UNPROCESSABLE_ENTITY, message: 'Unprocessable request' },
  BadGateway: { code: 1013, status: HttpStatus.BAD_GATEWAY, message: 'Upstream service failed' },
  GatewayTimeout: { code: 1014, status: HttpStatus.GATEWAY_TIMEOUT, message: 'Upstream service timed out' },
  BadRequest: { code: 1015, status: HttpStatus.BAD_REQUEST, message: 'Bad request' },
  NotFound: { code: 1016, status: HttpStatus.NOT_FOUND, message: 'Resource not found' },
  RequestTimeout: { code: 1017, status: HttpStatus.REQUEST_TIMEOUT, message: 'Request timed out' },
  NotReady: { code: 1018, status: HttpStatus.SERVICE_UNAVAILABLE, message: 'Service is not ready' },
  // refused while the body is parsed, before anything walks it (HTTP_JSON_MAX_DEPTH / HTTP_JSON_MAX_KEYS)
  JsonTooDeep: { code: 1019, status: HttpStatus.BAD_REQUEST, message: 'Request body is nested too deeply' },
  JsonTooManyKeys: { code: 1020, status: HttpStatus.BAD_REQUEST, message: 'Request body has too many keys or elements' },
  InvalidUtf8: { code: 1021, status: HttpStatus.BAD_REQUEST, message: 'Request body is not valid UTF-8' },
  // answered by the HTTP parser or the router, before a route runs
  MalformedRequest: { code: 1022, status: HttpStatus.BAD_REQUEST, message: 'Malformed HTTP request' },
  UriTooLong: { code: 1023, status: HttpStatus.URI_TOO_LONG, message: 'Request URI is too long' },
  // Nest's HttpStatus has no 431 (RFC 6585)
  HeadersTooLarge: { code: 1024, status: 431 as HttpStatus, message: 'Request headers are too large' },
  // X-Client-Version older than MIN_CLIENT_VERSION (release/client-version-gate.ts); Nest's HttpStatus has no 426.
  // 1080, not the next free code: codes 1025-1079 are left to the features growing in parallel.
  ClientUpdateRequired: { code: 1080, status: 426 as HttpStatus, message: 'Client update required' },
});
