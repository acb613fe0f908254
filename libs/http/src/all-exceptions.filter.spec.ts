import { jest } from '@jest/globals';
import { type ArgumentsHost, BadRequestException, HttpException, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { AllExceptionsFilter, registerErrorClassifier, resolveError } from './all-exceptions.filter';
import { DEFAULT_RETRY_AFTER_S } from './error-status';
import { QueryFailedError } from 'typeorm';
import { redactDatabaseErrorText } from '@app/database';
import { AppError, defineErrors } from './app-error';
import { CommonError } from './common.errors';
import { registerErrorTextRedactor } from './log-safety';

const fastifyError = (code: string, statusCode: number) => Object.assign(new Error(code), { code, statusCode });

describe('resolveError', () => {
  it('keeps an AppError as declared, with its data', () => {
    const OrderError = defineErrors('order', { OutOfStock: { code: 4001, status: 409, message: 'Out of stock' } });
    const resolved = resolveError(new AppError(OrderError.OutOfStock, { data: { skuId: 7 } }));
    expect(resolved).toEqual({ definition: OrderError.OutOfStock, message: 'Out of stock', data: { skuId: 7 } });
  });

  it.each([
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, CommonError.UnsupportedMediaType],
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, CommonError.PayloadTooLarge],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, CommonError.MalformedJson],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, CommonError.MalformedJson],
    ['FST_ERR_BAD_URL', 400, CommonError.MalformedRequest],
    ['FST_ERR_MAX_PARAM_LENGTH', 414, CommonError.UriTooLong],
  ])('maps Fastify %s, raw or wrapped by Nest', (code, status, definition) => {
    expect(resolveError(fastifyError(code, status)).definition).toBe(definition);
    const wrapped = new HttpException('parser said no', status, { cause: fastifyError(code, status) });
    expect(resolveError(wrapped).definition).toBe(definition);
  });

  it('tells an unknown route from a missing resource', () => {
    expect(resolveError(new NotFoundException('Cannot GET /nope')).definition).toBe(CommonError.RouteNotFound);
    expect(resolveError(new NotFoundException('order 9 not found')).definition).toBe(CommonError.NotFound);
  });

  it('keeps 4xx messages and hides 5xx ones', () => {
    expect(resolveError(new BadRequestException('id must be numeric')).message).toBe('id must be numeric');
    const hidden = resolveError(new ServiceUnavailableException('pool exhausted at 10.0.0.5'));
    expect(hidden.definition).toBe(CommonError.ServiceUnavailable);
    expect(hidden.message).toBe(CommonError.ServiceUnavailable.message);
  });

  it('turns anything unexpected into 1000 without leaking its message', () => {
    const resolved = resolveError(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(resolved.definition).toBe(CommonError.Internal);
    expect(resolved.message).toBe('Internal server error');
    expect(resolveError('a string').definition).toBe(CommonError.Internal);
  });

  it('declares each common code once', () => {
    const codes = Object.values(CommonError).map((definition) => definition.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.every((code) => code >= 1000 && code < 2000)).toBe(true);
  });
});

/** What the filter sends for one exception, through a stand-in for Fastify's request and reply. */
function send(filter: AllExceptionsFilter, exception: unknown, preset: Record<string, string> = {}, url = '/api/v1/users/me') {
  const headers: Record<string, string | number> = { ...preset };
  const sent: { status?: number; body?: string } = {};
  const reply = {
    sent: false,
    hasHeader: (name: string) => name in headers,
    header(name: string, value: string | number) {
      headers[name] = value;
      return this;
    },
    status(code: number) {
      sent.status = code;
      return this;
    },
    send(body: string) {
      sent.body = body;
      return this;
    },
  };
  const request = { id: 'req-1', method: 'GET', url };
  const host = { switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }) } as unknown as ArgumentsHost;
  filter.catch(exception, host);
  return { status: sent.status, headers, body: JSON.parse(sent.body ?? 'null') as { code: number } };
}

describe('AllExceptionsFilter', () => {
  const Dependency = defineErrors('resilience', {
    Down: { code: 7098, status: 503, message: 'down' },
    DownLonger: { code: 7099, status: 503, message: 'down for a while', retryAfterS: 30 },
  });
  const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  beforeEach(() => {
    warn.mockClear();
    error.mockClear();
  });
  afterAll(() => {
    warn.mockRestore();
    error.mockRestore();
  });

  it('tells clients when to retry a 503: the definition\'s Retry-After, else the default; leaves one already set alone', () => {
    const filter = new AllExceptionsFilter();
    expect(send(filter, new AppError(Dependency.Down)).headers['retry-after']).toBe(DEFAULT_RETRY_AFTER_S);
    expect(send(filter, new AppError(Dependency.DownLonger)).headers['retry-after']).toBe(30);
    expect(send(filter, new ServiceUnavailableException()).headers['retry-after']).toBe(DEFAULT_RETRY_AFTER_S);
    expect(send(filter, new AppError(Dependency.Down), { 'retry-after': '7' }).headers['retry-after']).toBe('7');
    expect(send(filter, new AppError(CommonError.Internal)).headers['retry-after']).toBeUndefined();
    expect(send(filter, new BadRequestException()).headers['retry-after']).toBeUndefined();
  });

  it('logs an expected 5xx once per code per interval, with how many it left out, not once per request', () => {
    const filter = new AllExceptionsFilter();
    for (let i = 0; i < 500; i += 1) expect(send(filter, new AppError(Dependency.Down)).status).toBe(503);
    send(filter, new AppError(Dependency.DownLonger));
    expect(warn.mock.calls.map(([fields]) => (fields as { code: number }).code)).toEqual([7098, 7099]);
    const later = jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 11_000);
    try {
      send(filter, new AppError(Dependency.Down));
    } finally {
      later.mockRestore();
    }
    expect(warn.mock.calls[2][0]).toMatchObject({ code: 7098, alsoSinceLastLine: 499 });
    expect(error).not.toHaveBeenCalled();
  });

  it('treats a dependency error a classifier knows as expected (a warning with its message, no stack), and anything else as a bug', () => {
    const filter = new AllExceptionsFilter();
    const driverError = new Error('Stream is not writeable (driver)');
    registerErrorClassifier((exception) => (exception === driverError ? Dependency.Down : undefined));
    const answer = send(filter, driverError);
    expect({ status: answer.status, code: answer.body.code }).toEqual({ status: 503, code: 7098 });
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ code: 7098, err: 'Error: Stream is not writeable (driver)' }), 'down');
    expect(error).not.toHaveBeenCalled();

    expect(send(filter, new TypeError('x is not a function')).status).toBe(500);
    expect(error).toHaveBeenCalledTimes(1);
  });

  it('logs a failing insert without the phone number it carried, and the URL without its token', () => {
    const phone = '13812345678';
    // as mysql2 3.x raises a duplicate (the value in sqlMessage and inlined in sql) and TypeORM wraps it (parameters)
    const sqlMessage = `Duplicate entry '${phone}' for key 'uq_users_phone'`;
    const driverError = Object.assign(new Error(sqlMessage), {
      code: 'ER_DUP_ENTRY',
      errno: 1062,
      sqlState: '23000',
      sqlMessage,
      sql: `INSERT INTO \`users\`(\`phone\`) VALUES ('${phone}')`,
    });
    const failed = new QueryFailedError('INSERT INTO `users`(`phone`) VALUES (?)', [phone], driverError);
    // as app.factory.ts does
    registerErrorTextRedactor(redactDatabaseErrorText);
    const filter = new AllExceptionsFilter();
    expect(send(filter, failed, {}, '/api/v1/users/me/phone?access_token=tok-SECRET-9&page=2').status).toBe(500);

    expect(error).toHaveBeenCalledTimes(1);
    const logged = JSON.stringify(error.mock.calls[0]);
    expect(logged).not.toContain(phone);
    expect(logged).not.toContain('tok-SECRET-9');
    const [fields, message] = error.mock.calls[0] as [{ err: Record<string, unknown> }, string];
    expect(message).toBe('GET /api/v1/users/me/phone?access_token=%5BREDACTED%5D&page=2 failed with 500');
    // what is left still says what failed and where
    expect(fields.err).toMatchObject({ name: 'QueryFailedError', code: 'ER_DUP_ENTRY', errno: 1062, message: "Duplicate entry '?' for key 'uq_users_phone'" });
    expect(Object.keys(fields.err).sort()).toEqual(['code', 'errno', 'message', 'name', 'stack']);
    expect(fields.err.stack).toMatch(/^QueryFailedError: Duplicate entry '\?' for key 'uq_users_phone'\n\s+at /);
  });

  it('keeps the message of an error that does not come from a database', () => {
    const filter = new AllExceptionsFilter();
    send(filter, new TypeError("Cannot read properties of undefined (reading 'id')"));
    const [fields] = error.mock.calls[0] as [{ err: Record<string, unknown> }];
    expect(fields.err).toMatchObject({ name: 'TypeError', message: "Cannot read properties of undefined (reading 'id')" });
  });
});
