import { BadRequestException, HttpException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { resolveError } from './all-exceptions.filter';
import { AppError, defineErrors } from './app-error';
import { CommonError } from './common.errors';

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
