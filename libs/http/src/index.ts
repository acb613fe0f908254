export { AllExceptionsFilter, ErrorBody, type ErrorClassifier, registerErrorClassifier, resolveError } from './all-exceptions.filter';
export { AppError, defineErrors, type ErrorDefinition } from './app-error';
export { ERROR_BLOCKS, errorBlockOf, type ErrorBlock, type ErrorBlockName } from './error-blocks';
export { Consumes, JSON_MEDIA_TYPES } from './body-media-type';
export { CommonError } from './common.errors';
export { type CleanTextOptions, IS_CLEAN_TEXT, IsCleanText } from './clean-text';
export { Omittable } from './omittable';
export { installEnvelope, RawResponse, successEnvelope, type Envelope, type EnvelopeOptions } from './envelope';
export { definitionForStatus } from './error-status';
export { createFastifyAdapter } from './fastify-adapter';
export { jsonStructureProblem, type JsonBodyLimits, type JsonStructureProblem, KeepRawBody, type RawBodyRequest } from './json-body-parser';
export { jsonTextOf, rememberJsonText } from './json-text';
export { httpConfig, loadHttpConfig, type HttpConfig } from './http.config';
export { clientRequestIdOf, REQUEST_ID_HEADER, requestIdFor, serverRequestIdOf } from './request-id';
export { ipBucket } from './client-ip';
export {
  type ErrorTextRedactor,
  loggableError,
  type LoggableError,
  REDACTED,
  registerErrorTextRedactor,
  safeErrorMessage,
  sanitizeUrl,
} from './log-safety';
export { createValidationPipe, IntegerFromQuery, MAX_ID, ParseIdPipe } from './validation';
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
export { MergeRouteConfig } from './route-config';
export { PageQueryDto } from './page-query.dto';
export { routeOf } from './route-of';
export { AccessError } from './access/access.errors';
export { type AuthenticatedRequest, CurrentPrincipal, holdsRole, type Principal, requireUser } from './access/principal';
export { canonicalRequest, checkSignature, installBodyHashing, SIGNATURE_WINDOW_MS, type SignatureHeaders, type SignatureProblem } from './access/request-signing';
export { Public, PUBLIC_ROUTE, REQUIRED_ROLES, type Role, Roles, Signed, SIGNED_ROUTE } from './access/route-access';
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
export { answerNotServedHere } from './method-not-allowed';
export { isOlderThan, parseClientVersion, type ClientVersion } from './release/client-version';
export {
  APP_VERSION_HEADER,
  appVersionHeaderValue,
  CLIENT_VERSION_HEADER,
  clientVersionContract,
  type ClientVersionGateOptions,
  installClientVersionGate,
} from './release/client-version-gate';
export { loadReleaseConfig, releaseConfig, type ReleaseConfig } from './release/release.config';
export { DEFAULT_RETRY_AFTER_S } from './error-status';
export { drainRequestBody } from './refused-body';
