import { randomBytes } from 'node:crypto';
import { AdminError } from '../apps/api/src/admin/admin.errors';
import { AuthError } from '../apps/api/src/auth/auth.errors';
import { CatalogueError } from '../apps/api/src/catalogue/catalogue.errors';
import { OrderError } from '../apps/api/src/order/order.errors';
import { UploadError } from '../apps/api/src/upload/upload.errors';
import { UserError } from '../apps/api/src/user/user.errors';
import { CommonError } from '../libs/http/src/common.errors';
import { IdempotencyError } from '../libs/http/src/idempotency/idempotency.types';
import { JobsError } from '../libs/jobs/src/jobs.errors';
import { ResilienceError } from '../libs/resilience/src/resilience.errors';
import { WechatError } from '../libs/wechat/src/wechat.errors';
import { WechatPayError } from '../libs/wechat/src/pay/wechat-pay.errors';
import { request, type EnvelopeBody, type RunningApp, startApp } from './support/app-harness';
import { productionEnv } from './support/environment';
import { createTestDatabase, type TestDatabase } from './support/test-database';

interface Schema {
  $ref?: string;
  format?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  enum?: unknown[];
}
interface Response {
  description: string;
  headers?: Record<string, { $ref?: string }>;
  content?: Record<string, { schema?: Schema }>;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
}
interface Operation {
  operationId?: string;
  requestBody?: { content?: Record<string, unknown> };
  parameters?: Parameter[];
  responses: Record<string, Response>;
  security?: Array<Record<string, string[]>>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes?: Record<string, unknown> };
}
interface DocumentedOperation {
  name: string;
  method: string;
  path: string;
  operation: Operation;
}

// every error table of the service: a documented code must be one of these, with the same status
const ERROR_TABLES = [CommonError, AuthError, AdminError, UserError, WechatError, ResilienceError, IdempotencyError, JobsError, CatalogueError, OrderError, WechatPayError, UploadError];
// callbacks from other systems: their own answer format (204, no body) and never rate-limited per client
const WEBHOOKS = new Set(['POST /api/v1/payments/wechat/notify']);
const KNOWN_ERRORS = new Map<number, { status: number; message: string }>();
for (const table of ERROR_TABLES) {
  for (const definition of Object.values(table)) {
    if (KNOWN_ERRORS.has(definition.code)) throw new Error(`code ${definition.code} is declared twice`);
    KNOWN_ERRORS.set(definition.code, definition);
  }
}

const SIGNING_HEADERS = ['X-Timestamp', 'X-Nonce', 'X-Signature'];
const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);

/** Routes whose body is multipart (uploads): not JSON, so the JSON structure checks do not apply. */
const takesMultipart = (operation: Operation): boolean => Object.keys(operation.requestBody?.content ?? {}).includes('multipart/form-data');

function operationsOf(document: Document): DocumentedOperation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, method, path, operation })),
  );
}

/** The codes of an error response, or why it is not one in the envelope. */
function errorCodesOf(response: Response): number[] | string {
  const schema = response.content?.['application/json']?.schema;
  if (schema?.allOf?.[0]?.$ref !== '#/components/schemas/ErrorEnvelope') return 'not the ErrorEnvelope';
  const codes = schema.allOf[1]?.properties?.code?.enum;
  return Array.isArray(codes) && codes.length > 0 && codes.every(Number.isInteger) ? (codes as number[]) : 'no code enum';
}

const errorResponses = (operation: Operation) =>
  Object.entries(operation.responses)
    .filter(([status]) => Number(status) >= 400)
    .map(([status, response]) => ({ status: Number(status), response, codes: errorCodesOf(response) }));

const codesAt = (operation: Operation, status: number): number[] => {
  const response = operation.responses[String(status)];
  const codes = response ? errorCodesOf(response) : [];
  return Array.isArray(codes) ? codes : [];
};

const headerParameters = (operation: Operation) =>
  (operation.parameters ?? []).filter((parameter) => parameter.in === 'header').map((parameter) => parameter.name);

describe('OpenAPI document: the whole contract of every route (/docs-json)', () => {
  let database: TestDatabase;
  let app: RunningApp;
  let strict: RunningApp;
  let document: Document;
  let signedDocument: Document;

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = { RATE_LIMIT_KEY_PREFIX: `e2e:rl:openapi:${randomBytes(4).toString('hex')}:` };
    app = await startApp(productionEnv(database.name, env));
    // every signed-in route needs a signed request: where the signing headers must show up
    strict = await startApp(productionEnv(database.name, { ...env, AUTH_SIGNING: 'all' }));
    document = (await request<Document>(`${app.baseUrl}/docs-json`)).body;
    signedDocument = (await request<Document>(`${strict.baseUrl}/docs-json`)).body;
  });

  afterAll(async () => {
    await app?.close();
    await strict?.close();
    await database?.drop();
  });

  it('documents the product routes', () => {
    expect(operationsOf(document).map(({ name }) => name)).toEqual(
      expect.arrayContaining(['GET /api/v1/ping', 'POST /api/v1/auth/wechat/login', 'PATCH /api/v1/users/me', 'GET /health/ready']),
    );
    // a generated client must not demand what a mini-program cannot set
    expect(document.paths['/api/v1/auth/wechat/login'].post.parameters).toContainEqual(expect.objectContaining({ name: 'user-agent', required: false }));
  });

  it('documents the dashboard account routes (issue 15) with their own errors, and the page ceiling on every dashboard list', () => {
    const at = (method: string, path: string) => {
      const operation = document.paths[path]?.[method];
      expect([method, path, operation === undefined]).toEqual([method, path, false]);
      return operation;
    };
    expect(codesAt(at('post', '/api/v1/admin/accounts'), 409)).toContain(AdminError.UsernameTaken.code);
    expect(codesAt(at('patch', '/api/v1/admin/accounts/{id}'), 404)).toContain(AdminError.AccountNotFound.code);
    expect(codesAt(at('patch', '/api/v1/admin/accounts/{id}'), 409)).toContain(AdminError.LastActiveAdmin.code);
    expect(codesAt(at('post', '/api/v1/admin/accounts/me/password'), 403)).toContain(AdminError.WrongCurrentPassword.code);
    for (const list of ['/api/v1/admin/accounts', '/api/v1/admin/users', '/api/v1/admin/audit-logs', '/api/v1/admin/jobs/failed']) {
      expect([list, codesAt(at('get', list), 400)]).toEqual([list, expect.arrayContaining([AdminError.PageTooDeep.code])]);
    }
    // a refresh past the absolute lifetime, or of an account whose access was lowered
    expect(codesAt(at('post', '/api/v1/auth/refresh'), 401)).toEqual(
      expect.arrayContaining([AuthError.SessionLifetimeOver.code, AuthError.AccessRevoked.code]),
    );
    // the dashboard routes answer 403 to callers that are not dashboard accounts
    expect(codesAt(at('get', '/api/v1/admin/accounts'), 403)).toContain(AuthError.Forbidden.code);
  });

  it('gives every operation error responses in the envelope, each code a declared one under its own status', () => {
    const problems: string[] = [];
    for (const { name, operation } of operationsOf(document)) {
      const errors = errorResponses(operation);
      if (errors.length === 0) problems.push(`${name}: no 4xx/5xx response`);
      if (!codesAt(operation, 500).includes(CommonError.Internal.code)) problems.push(`${name}: no 500 (1000)`);
      for (const { status, response, codes } of errors) {
        if (typeof codes === 'string') {
          problems.push(`${name} ${status}: ${codes}`);
          continue;
        }
        for (const code of codes) {
          const known = KNOWN_ERRORS.get(code);
          if (!known) problems.push(`${name} ${status}: code ${code} is declared nowhere`);
          else if (known.status !== status) problems.push(`${name} ${status}: code ${code} is a ${known.status}`);
          else if (!response.description.includes(`${code} — ${known.message}`)) problems.push(`${name} ${status}: ${code} missing from the description`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('puts 2xx responses in the success envelope', () => {
    for (const { name, operation } of operationsOf(document)) {
      const success = Object.entries(operation.responses).filter(([status]) => status.startsWith('2'));
      expect([name, success.length]).toEqual([name, 1]);
      if (WEBHOOKS.has(name)) {
        expect([name, success[0][0], success[0][1].content]).toEqual([name, '204', undefined]);
        continue;
      }
      // a download (@RawResponse) answers with the file's own bytes, documented as binary
      const content = Object.values(success[0][1].content ?? {});
      if (content.length > 0 && content.every((media) => media.schema?.format === 'binary')) continue;
      const schema = success[0][1].content?.['application/json']?.schema;
      expect([name, schema?.$ref ?? schema?.allOf?.[0]?.$ref]).toEqual([name, '#/components/schemas/SuccessEnvelope']);
    }
  });

  it('documents 413, 415, malformed JSON and the structure and UTF-8 checks on every route that reads a body', () => {
    const bodyRoutes = operationsOf(document).filter(({ method }) => BODY_METHODS.has(method));
    expect(bodyRoutes.length).toBeGreaterThan(5);
    for (const { name, operation } of bodyRoutes) {
      // the upload block's own 413/415s (file too large, quota, content type) come on top of the body checks'
      const ownUpload = (code: number): boolean => code < 5000 || code > 5999;
      expect([name, codesAt(operation, 413).filter(ownUpload), codesAt(operation, 415).filter(ownUpload), codesAt(operation, 400)]).toEqual([
        name,
        [1003],
        [1004],
        takesMultipart(operation) ? expect.not.arrayContaining([1002]) : expect.arrayContaining([1002, 1019, 1020, 1021]),
      ]);
    }
  });

  it('documents the bearer token and its 401s exactly on the routes that answer 401 without one', async () => {
    const mismatches: string[] = [];
    for (const { name, method, path, operation } of operationsOf(document)) {
      // path parameters as 1, an empty JSON object as body: the guard answers before any handler runs
      const url = `${app.baseUrl}${path.replace(/\{[^}]+\}/g, '1')}`;
      const init: RequestInit = !BODY_METHODS.has(method)
        ? { method: method.toUpperCase() }
        : takesMultipart(operation)
          ? { method: method.toUpperCase(), body: new FormData() }
          : { method: method.toUpperCase(), headers: { 'content-type': 'application/json' }, body: '{}' };
      const answer = await request<EnvelopeBody>(url, init);
      const needsToken = answer.status === 401 && answer.body.code === AuthError.Unauthenticated.code;
      const documented = (operation.security ?? []).some((requirement) => 'bearer' in requirement);
      const documentedCodes = codesAt(operation, 401);
      const expectedCodes = [2001, 2002, 2003, 2004];
      if (needsToken !== documented) mismatches.push(`${name}: answers ${answer.status}, bearer documented: ${documented}`);
      if (needsToken && !expectedCodes.every((code) => documentedCodes.includes(code))) mismatches.push(`${name}: 401 lacks ${expectedCodes.join(',')}`);
      if (!needsToken && documentedCodes.includes(2001)) mismatches.push(`${name}: public, but documents 2001`);
      // the rate limiter runs after the auth guard: a 2xx shows whether it checked this route
      if (answer.status < 300 && (answer.headers.get('ratelimit-limit') !== null) !== (codesAt(operation, 429).includes(7010))) {
        mismatches.push(`${name}: RateLimit-Limit ${answer.headers.get('ratelimit-limit')}, 429 documented: ${codesAt(operation, 429).join(',')}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('documents the rate-limit headers where the limiter applies, and not on the exempt probes', () => {
    for (const { name, path, operation } of operationsOf(document)) {
      const limited = !path.startsWith('/health/') && !WEBHOOKS.has(name);
      const success = Object.entries(operation.responses).find(([status]) => status.startsWith('2'))![1];
      expect([name, 'RateLimit-Limit' in (success.headers ?? {}), codesAt(operation, 429).includes(7010)]).toEqual([name, limited, limited]);
      if (limited) expect([name, Object.keys(operation.responses['429'].headers ?? {})]).toEqual([name, expect.arrayContaining(['Retry-After', 'RateLimit-Reset'])]);
    }
  });

  it('lists the signing headers and their 401s on every signed route, and only there', () => {
    // AUTH_SIGNING=sensitive (the default): the @Signed() routes, and only they
    const sensitive = [
      'POST /api/v1/users/me/phone',
      'POST /api/v1/auth/wechat/decrypt',
      'POST /api/v1/orders',
      'POST /api/v1/orders/{id}/pay',
      'POST /api/v1/orders/{id}/cancel',
    ];
    for (const { name, operation } of operationsOf(document)) {
      const signed = sensitive.includes(name);
      expect([name, headerParameters(operation).filter((header) => SIGNING_HEADERS.includes(header))]).toEqual([name, signed ? SIGNING_HEADERS : []]);
      expect([name, [2020, 2021, 2022, 2023].every((code) => codesAt(operation, 401).includes(code))]).toEqual([name, signed]);
    }
    const signedIn = operationsOf(signedDocument).filter(({ operation }) => operation.security?.some((requirement) => 'bearer' in requirement));
    expect(signedIn.length).toBeGreaterThan(5);
    for (const { name, operation } of operationsOf(signedDocument)) {
      const signed = signedIn.some((route) => route.name === name);
      const required = (operation.parameters ?? []).filter((parameter) => SIGNING_HEADERS.includes(parameter.name) && parameter.required === true);
      expect([name, required.map(({ name: header }) => header)]).toEqual([name, signed ? SIGNING_HEADERS : []]);
      expect([name, [2020, 2021, 2022, 2023].every((code) => codesAt(operation, 401).includes(code))]).toEqual([name, signed]);
    }
  });

  it('lists Idempotency-Key wherever the Idempotency-Key errors are documented, and only there', () => {
    for (const { name, operation } of [...operationsOf(document), ...operationsOf(signedDocument)]) {
      const refusesKeys = codesAt(operation, 409).includes(IdempotencyError.InProgress.code);
      expect([name, headerParameters(operation).includes('Idempotency-Key')]).toEqual([name, refusesKeys]);
      if (refusesKeys) expect([name, codesAt(operation, 422), codesAt(operation, 400)]).toEqual([name, [7021], expect.arrayContaining([7022])]);
    }
  });

  it('is sound for a client generator: every $ref resolves, operation ids are unique, schemes and path parameters exist', () => {
    for (const doc of [document, signedDocument]) {
      const text = JSON.stringify(doc);
      expect(text).not.toContain('x-contract-route');
      for (const [, pointer] of text.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
        const target = pointer.split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
        expect([pointer, target === undefined]).toEqual([pointer, false]);
      }
      const operations = operationsOf(doc);
      const ids = operations.map(({ operation }) => operation.operationId);
      expect(new Set(ids).size).toBe(operations.length);
      for (const { name, path, operation } of operations) {
        for (const requirement of operation.security ?? []) {
          for (const scheme of Object.keys(requirement)) expect([name, scheme in (doc.components.securitySchemes ?? {})]).toEqual([name, true]);
        }
        const declared = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name);
        expect([name, declared.sort()]).toEqual([name, [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]).sort()]);
        for (const response of Object.values(operation.responses)) expect([name, typeof response.description]).toEqual([name, 'string']);
      }
    }
  });
});
