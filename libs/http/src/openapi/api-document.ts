import type { INestApplication, Type } from '@nestjs/common';
import { METHOD_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import {
  ApiExtension,
  type HeaderObject,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type ReferenceObject,
  type ResponseObject,
  type SchemaObject,
  SwaggerModule,
} from '@nestjs/swagger';
import type { ErrorDefinition } from '../app-error';
import { routeConfigOf } from '../route-config';
import {
  type ContractRule,
  httpContract,
  type RequestHeaderDoc,
  type ResponseHeaderDoc,
  type RouteArgument,
  type RouteFacts,
} from './route-contract';

const ERROR_ENVELOPE = 'ErrorEnvelope';
const SUCCESS_ENVELOPE = 'SuccessEnvelope';
const ref = (schema: string): ReferenceObject => ({ $ref: `#/components/schemas/${schema}` });

const ENVELOPE_SCHEMAS: Record<string, SchemaObject> = {
  [ERROR_ENVELOPE]: {
    type: 'object',
    description: 'Every error. Clients match on `code` (stable, listed per response), never on `message`.',
    required: ['code', 'message', 'data', 'requestId'],
    properties: {
      code: { type: 'integer', description: 'Stable error code, never 0', example: 1001 },
      message: { type: 'string', description: 'For people; wording may change' },
      data: {
        type: 'object',
        nullable: true,
        description: 'null, except for the codes that carry details (1018: the failed checks, 2009: retryAfterS)',
        example: null,
      },
      requestId: { type: 'string', description: 'Same as the X-Request-Id response header' },
    },
  },
  [SUCCESS_ENVELOPE]: {
    type: 'object',
    required: ['code', 'message', 'data', 'requestId'],
    properties: {
      code: { type: 'integer', enum: [0] },
      message: { type: 'string', example: 'ok' },
      data: { nullable: true, description: "The route's result; null when it returns nothing" },
      requestId: { type: 'string', description: 'Same as the X-Request-Id response header' },
    },
  },
};

const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace', 'query'] as const;

/** Carried from a handler to its operations in the document, then removed. */
const ROUTE_MARK = 'x-contract-route';

export interface RouteHandler {
  controller: Type<unknown>;
  methodName: string;
  handler: object;
}

// one id per handler function for the life of the process: swagger's ApiExtension keeps the
// first value set, so a second document built in the same process must find the same one
const markOf = new WeakMap<object, string>();
let marks = 0;

/** Every controller method that is a route, marked so its operations can be traced back to it. */
function markRoutes(app: INestApplication): Map<string, RouteHandler[]> {
  const scanner = new MetadataScanner();
  const routes = new Map<string, RouteHandler[]>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type<unknown> | null;
      if (typeof controller !== 'function') continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const methodName of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[methodName];
        if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        let mark = markOf.get(handler);
        if (mark === undefined) {
          mark = `route-${(marks += 1)}`;
          markOf.set(handler, mark);
          ApiExtension(ROUTE_MARK, mark)(prototype, methodName, { value: handler });
        }
        // an inherited route is one function shared by several controllers
        routes.set(mark, [...(routes.get(mark) ?? []), { controller, methodName, handler }]);
      }
    }
  }
  return routes;
}

function argumentsOf({ controller, methodName }: RouteHandler): RouteArgument[] {
  const declared = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, methodName) ?? {}) as Record<
    string,
    { index: number; pipes?: unknown[] }
  >;
  const types = (Reflect.getMetadata('design:paramtypes', controller.prototype as object, methodName) ?? []) as unknown[];
  return Object.entries(declared).map(([key, { index, pipes }]) => {
    // keys are `${RouteParamtypes}:${index}`, or `${id}__customRouteArgs__:${index}` for custom decorators
    const kind = Number(key.split(':')[0]);
    return { kind: Number.isInteger(kind) ? kind : 'custom', type: types[index], pipeCount: pipes?.length ?? 0 };
  });
}

export function factsOf(route: RouteHandler, method: string, path: string): RouteFacts {
  const reflector = new Reflector();
  const targets = [route.handler as () => unknown, route.controller];
  return {
    method,
    path,
    controller: route.controller,
    handler: route.handler,
    arguments: argumentsOf(route),
    config: routeConfigOf(route.handler) ?? {},
    metadata: <T>(key: string) => reflector.getAllAndOverride<T | undefined>(key, targets),
    metadataList: <T>(key: string) => reflector.getAllAndMerge<T[]>(key, targets) ?? [],
  };
}

function routeFor(candidates: RouteHandler[] | undefined, operation: OperationObject, where: string): RouteHandler {
  const route =
    candidates?.length === 1
      ? candidates[0]
      : candidates?.find(({ controller, methodName }) => operation.operationId?.startsWith(`${controller.name}_${methodName}`));
  // a document that silently misses a route's errors is what this module exists to prevent
  if (!route) throw new Error(`OpenAPI: cannot tell which handler serves ${where}`);
  return route;
}

interface MergedContract {
  errors: ErrorDefinition[];
  requestHeaders: RequestHeaderDoc[];
  responseHeaders: ResponseHeaderDoc[];
  security: OperationObject['security'];
}

function merge(facts: RouteFacts, rules: readonly ContractRule[]): MergedContract {
  const errors = new Map<number, ErrorDefinition>();
  const requestHeaders = new Map<string, RequestHeaderDoc>();
  const responseHeaders: ResponseHeaderDoc[] = [];
  let security: OperationObject['security'];
  for (const rule of rules) {
    const contract = rule(facts);
    if (!contract) continue;
    for (const error of contract.errors ?? []) errors.set(error.code, error);
    for (const header of contract.requestHeaders ?? []) requestHeaders.set(header.name.toLowerCase(), header);
    responseHeaders.push(...(contract.responseHeaders ?? []));
    security ??= contract.security ? [...contract.security] : undefined;
  }
  return {
    errors: [...errors.values()].sort((a, b) => a.code - b.code),
    requestHeaders: [...requestHeaders.values()],
    responseHeaders,
    security,
  };
}

function headersFor(status: number, contract: MergedContract, components: Record<string, HeaderObject | ReferenceObject>) {
  const success = status >= 200 && status < 300;
  const carried = contract.responseHeaders.filter(
    ({ on }) => on === 'every' || on.includes(status) || (success && on.includes('success')),
  );
  if (carried.length === 0) return undefined;
  const headers: Record<string, ReferenceObject> = {};
  for (const { name, description, schema } of carried) {
    components[name] ??= { description, schema };
    headers[name] = { $ref: `#/components/headers/${name}` };
  }
  return headers;
}

function describeOperation(
  operation: OperationObject,
  facts: RouteFacts,
  contract: MergedContract,
  componentHeaders: Record<string, HeaderObject | ReferenceObject>,
): void {
  const responses = operation.responses;

  // 2xx: what the envelope hook sends, the route's own schema (if it declares one) as `data`
  for (const [status, response] of Object.entries(responses)) {
    const code = Number(status);
    if (!response || !(code >= 200 && code < 300) || '$ref' in response) continue;
    const described: ResponseObject = {
      ...response,
      description: response.description || 'Success',
      headers: { ...response.headers, ...headersFor(code, contract, componentHeaders) },
    };
    // @RawResponse() routes send their result as is
    if (facts.config.rawResponse !== true) {
      const declared = response.content?.['application/json']?.schema;
      const schema: SchemaObject | ReferenceObject = declared
        ? { allOf: [ref(SUCCESS_ENVELOPE), { type: 'object', properties: { data: declared } }] }
        : ref(SUCCESS_ENVELOPE);
      described.content = { ...response.content, 'application/json': { ...response.content?.['application/json'], schema } };
    }
    responses[status] = described;
  }

  // one response per status; its codes listed in the description and as the enum of `code`
  const byStatus = new Map<number, ErrorDefinition[]>();
  for (const error of contract.errors) byStatus.set(error.status, [...(byStatus.get(error.status) ?? []), error]);
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const errors = byStatus.get(status)!;
    const existing = responses[String(status)] as ResponseObject | undefined;
    const lines = errors.map(({ code, message }) => `- ${code} — ${message}`);
    const response: ResponseObject = {
      description: [existing?.description, ...lines].filter(Boolean).join('\n'),
      content: {
        'application/json': {
          schema: {
            allOf: [ref(ERROR_ENVELOPE), { type: 'object', properties: { code: { type: 'integer', enum: errors.map(({ code }) => code) } } }],
          },
        },
      },
    };
    const headers = headersFor(status, contract, componentHeaders);
    if (headers) response.headers = headers;
    responses[String(status)] = response;
  }

  const parameters = (operation.parameters ??= []);
  const present = new Set(parameters.map((parameter) => ('in' in parameter ? `${parameter.in}:${parameter.name.toLowerCase()}` : '')));
  for (const { name, description, required, schema } of contract.requestHeaders) {
    if (present.has(`header:${name.toLowerCase()}`)) continue;
    const parameter: ParameterObject = { name, in: 'header', required, description, schema };
    parameters.push(parameter);
  }
  if (contract.security && !operation.security?.length) operation.security = contract.security;
}

/**
 * The OpenAPI document with every operation's whole contract: besides what @nestjs/swagger
 * reads from the decorators, its error responses (status, the envelope, the codes), request
 * headers (Idempotency-Key, request signing) and response headers (rate limit, request id),
 * derived by `rules` from each route's metadata, plus the success envelope. Built once at boot
 * when docs are on; nothing here runs per request.
 */
export function createApiDocument(
  app: INestApplication,
  config: Omit<OpenAPIObject, 'paths'>,
  rules: readonly ContractRule[] = [],
): OpenAPIObject {
  const routes = markRoutes(app);
  const document = SwaggerModule.createDocument(app, config);
  const components = (document.components ??= {});
  components.schemas = { ...components.schemas, ...ENVELOPE_SCHEMAS };
  const componentHeaders = (components.headers ??= {});
  const allRules = [httpContract, ...rules];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of OPERATION_METHODS) {
      const operation = item[method] as (OperationObject & { [ROUTE_MARK]?: string }) | undefined;
      if (!operation) continue;
      const mark = operation[ROUTE_MARK];
      delete operation[ROUTE_MARK];
      const route = routeFor(mark === undefined ? undefined : routes.get(mark), operation, `${method.toUpperCase()} ${path}`);
      const facts = factsOf(route, method.toUpperCase(), path);
      describeOperation(operation, facts, merge(facts, allRules), componentHeaders);
    }
  }
  return document;
}
