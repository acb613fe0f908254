import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { Type } from '@nestjs/common';
import type { SchemaObject, SecurityRequirementObject } from '@nestjs/swagger';
import type { FastifyContextConfig } from 'fastify';
import type { ErrorDefinition } from '../app-error';
import { BODY_METHODS, JSON_MEDIA_TYPES } from '../body-media-type';
import { CommonError } from '../common.errors';
import { IDEMPOTENCY_OPTIONS, IdempotencyError, type IdempotentOptions } from '../idempotency/idempotency.types';
import { API_ERRORS } from './api-errors.decorator';

/** One argument of a route handler as Nest resolves it. */
export interface RouteArgument {
  /** @Body(), @Query(), @Param()…; 'custom' for createParamDecorator() ones (@CurrentPrincipal). */
  readonly kind: RouteParamtypes | 'custom';
  /** The declared parameter type (a DTO class, Number, Object for interfaces). */
  readonly type: unknown;
  /** Pipes given on the argument itself (@Param('id', ParseIntPipe)). */
  readonly pipeCount: number;
}

/** What the document builder knows about one documented operation, for the rules to read. */
export interface RouteFacts {
  /** Upper case, as Fastify sees it. */
  readonly method: string;
  /** As documented, global prefix included: `/api/v1/admin/users/{id}`. */
  readonly path: string;
  readonly controller: Type<unknown>;
  readonly handler: object;
  readonly arguments: readonly RouteArgument[];
  /** The Fastify route config Nest registers the handler with (@Consumes, @RawResponse, @Signed). */
  readonly config: FastifyContextConfig;
  /** Set on the handler, else on its controller: what a guard reading the same key sees. */
  metadata<T>(key: string): T | undefined;
  /** A list set on the controller and on the handler, both. */
  metadataList<T>(key: string): T[];
}

export interface RequestHeaderDoc {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  readonly schema: SchemaObject;
}

export interface ResponseHeaderDoc {
  readonly name: string;
  readonly description: string;
  readonly schema: SchemaObject;
  /** Which responses carry it: every one, or the 2xx ones ('success') and/or these statuses. */
  readonly on: 'every' | ReadonlyArray<'success' | number>;
}

/** What a rule says about a route; the builder merges every rule's answer. */
export interface RouteContract {
  readonly errors?: readonly ErrorDefinition[];
  readonly requestHeaders?: readonly RequestHeaderDoc[];
  readonly responseHeaders?: readonly ResponseHeaderDoc[];
  /** Set when the operation declares none (e.g. the bearer token every signed-in route needs). */
  readonly security?: readonly SecurityRequirementObject[];
}

/**
 * Derives part of a route's contract from its metadata, once, when the document is built.
 * Each layer that adds behaviour to routes (auth, rate limit, circuit breakers) owns the rule
 * that documents it, next to the code that implements it.
 */
export type ContractRule = (route: RouteFacts) => RouteContract | null;

// what Nest's ValidationPipe skips (its toValidate()): anything else declared is validated
const UNVALIDATED_TYPES = new Set<unknown>([String, Boolean, Number, Array, Object, Buffer, Date, undefined]);
const VALIDATED_KINDS = new Set<unknown>([RouteParamtypes.BODY, RouteParamtypes.QUERY, RouteParamtypes.PARAM, RouteParamtypes.HEADERS]);

const takesJson = (ranges: readonly string[]): boolean => ranges.some((range) => range === 'application/json' || range.endsWith('+json'));

const REQUEST_ID_RESPONSE_HEADER: ResponseHeaderDoc = {
  name: 'X-Request-Id',
  description: 'Identifies the request in the server log; the caller\'s own X-Request-Id is kept when sane',
  schema: { type: 'string' },
  on: 'every',
};

/**
 * What libs/http adds to every route: 500, the body pipeline (limit, media type, JSON parse and its
 * structure and UTF-8 checks),
 * validation, parsed path parameters, Idempotency-Key, and the route's own @ApiErrors.
 */
export const httpContract: ContractRule = (route) => {
  const errors: ErrorDefinition[] = [CommonError.Internal];
  // any body-method route parses a body when one is sent, declared or not (fastify-adapter.ts)
  if (BODY_METHODS.has(route.method)) {
    errors.push(CommonError.PayloadTooLarge, CommonError.UnsupportedMediaType);
    if (takesJson(route.config.consumes ?? JSON_MEDIA_TYPES)) {
      errors.push(CommonError.MalformedJson, CommonError.JsonTooDeep, CommonError.JsonTooManyKeys, CommonError.InvalidUtf8);
    }
  }
  if (route.arguments.some((argument) => VALIDATED_KINDS.has(argument.kind) && !UNVALIDATED_TYPES.has(argument.type))) {
    errors.push(CommonError.ValidationFailed);
  }
  // ParseIntPipe and its kind throw a bare 400
  if (route.arguments.some((argument) => argument.pipeCount > 0)) errors.push(CommonError.BadRequest);

  const requestHeaders: RequestHeaderDoc[] = [];
  const responseHeaders: ResponseHeaderDoc[] = [REQUEST_ID_RESPONSE_HEADER];
  const idempotent = route.metadata<IdempotentOptions>(IDEMPOTENCY_OPTIONS);
  if (idempotent) {
    errors.push(...Object.values(IdempotencyError), CommonError.ServiceUnavailable);
    requestHeaders.push({
      name: 'Idempotency-Key',
      description:
        'Makes a retry safe: the first request runs, a duplicate while it runs gets 409 (7020), a later one the ' +
        'stored response, the same key with another body 422 (7021). Scoped per caller and route, kept 24 h.',
      required: idempotent.required === true,
      schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
    });
    responseHeaders.push({
      name: 'Idempotent-Replayed',
      description: '"true" when this is the stored response of an earlier request with the same Idempotency-Key',
      schema: { type: 'string', enum: ['true'] },
      on: ['success'],
    });
  }
  errors.push(...route.metadataList<ErrorDefinition>(API_ERRORS));
  return { errors, requestHeaders, responseHeaders };
};
