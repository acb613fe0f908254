export { AllExceptionsFilter, resolveError } from './all-exceptions.filter';
export { AppError, defineErrors, type ErrorDefinition } from './app-error';
export { Consumes, JSON_MEDIA_TYPES } from './body-media-type';
export { CommonError } from './common.errors';
export { installEnvelope, RawResponse, successEnvelope, type Envelope, type EnvelopeOptions } from './envelope';
export { definitionForStatus } from './error-status';
export { createFastifyAdapter } from './fastify-adapter';
export { jsonTextOf, rememberJsonText } from './json-text';
export { httpConfig, loadHttpConfig, type HttpConfig } from './http.config';
export { REQUEST_ID_HEADER, requestIdFor } from './request-id';
export { createValidationPipe } from './validation';
export { IDEMPOTENCY_HEADER, IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
export { IdempotencyModule } from './idempotency/idempotency.module';
export {
  MemoryIdempotencyStore,
  RedisIdempotencyStore,
  type IdempotencyStore,
  type StoredResponse,
} from './idempotency/idempotency.store';
export { IdempotencyError, type IdempotentOptions } from './idempotency/idempotency.types';
export { Idempotent } from './idempotency/idempotent.decorator';
export { Public, PUBLIC_ROUTE, REQUIRED_ROLES, Roles, type Role } from './route-access';
export { MergeRouteConfig } from './route-config';
export { routeOf } from './route-of';
export { ApiErrors } from './openapi/api-errors.decorator';
export { createApiDocument } from './openapi/api-document';
export {
  httpContract,
  type ContractRule,
  type RequestHeaderDoc,
  type ResponseHeaderDoc,
  type RouteArgument,
  type RouteContract,
  type RouteFacts,
} from './openapi/route-contract';
