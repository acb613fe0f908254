import { Body, Controller, Get, HttpStatus, Module, Param, ParseIntPipe, Post, Query, SetMetadata, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ApiExcludeController, ApiResponse, DocumentBuilder, type OpenAPIObject, type OperationObject, type ResponseObject } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString } from 'class-validator';
import { defineErrors } from '../app-error';
import { Consumes } from '../body-media-type';
import { RawResponse } from '../envelope';
import { IDEMPOTENCY_STORE } from '../idempotency/idempotency.interceptor';
import { MemoryIdempotencyStore } from '../idempotency/idempotency.store';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { createApiDocument } from './api-document';
import { ApiErrors } from './api-errors.decorator';
import type { ContractRule } from './route-contract';

const ShopError = defineErrors('order', {
  SoldOut: { code: 4001, status: HttpStatus.CONFLICT, message: 'Sold out' },
  PriceChanged: { code: 4002, status: HttpStatus.CONFLICT, message: 'Price changed' },
  NoSuchItem: { code: 4004, status: HttpStatus.NOT_FOUND, message: 'No such item' },
  Closed: { code: 4005, status: HttpStatus.SERVICE_UNAVAILABLE, message: 'Shop closed' },
});

class OrderDto {
  @IsString()
  sku: string;
}

class SearchDto {
  @IsOptional()
  @IsInt()
  page?: number;
}

const NEEDS_BADGE = 'test:badge';

@Controller('shop')
@ApiErrors(ShopError.Closed)
class ShopController {
  @Post('orders')
  @Idempotent()
  @ApiErrors(ShopError.SoldOut, ShopError.PriceChanged)
  order(@Body() order: OrderDto): OrderDto {
    return order;
  }

  @Get('items/:id')
  @ApiErrors(ShopError.NoSuchItem)
  @ApiResponse({ status: 404, description: 'Also for items that were withdrawn' })
  item(@Param('id', ParseIntPipe) id: number): { id: number } {
    return { id };
  }

  @Get('items')
  @SetMetadata(NEEDS_BADGE, true)
  search(@Query() query: SearchDto): SearchDto {
    return query;
  }

  @Post('photos')
  @Consumes('multipart/form-data')
  upload(): void {}

  @Get('feed')
  @RawResponse()
  feed(): string {
    return '<rss/>';
  }
}

// one route function inherited by two controllers, each with its own class-level errors
abstract class StatusRoutes {
  @Get('status')
  status(): { ok: true } {
    return { ok: true };
  }
}

@Controller('north')
@ApiErrors(ShopError.SoldOut)
class NorthController extends StatusRoutes {}

@Controller('south')
@ApiErrors(ShopError.NoSuchItem)
class SouthController extends StatusRoutes {}

@ApiExcludeController()
@Controller('hidden')
class HiddenController {
  @Get()
  hidden(): void {}
}

@Module({
  controllers: [ShopController, NorthController, SouthController, HiddenController],
  // @Idempotent() names its interceptor, which Nest builds with the module
  providers: [{ provide: IDEMPOTENCY_STORE, useValue: new MemoryIdempotencyStore() }],
})
class ShopModule {}

/** A layer's rule, as apps and other libs write them (auth, rate limit). */
const badgeRule: ContractRule = (route) =>
  route.metadata<boolean>(NEEDS_BADGE)
    ? {
        errors: [{ code: 9001, status: HttpStatus.UNAUTHORIZED, message: 'Badge required' }],
        requestHeaders: [{ name: 'X-Badge', description: 'Your badge', required: true, schema: { type: 'string' } }],
        responseHeaders: [{ name: 'X-Badge-Left', description: 'Uses left', schema: { type: 'integer' }, on: ['success', 401] }],
        security: [{ badge: [] }],
      }
    : null;

type Operation = OperationObject & Record<string, unknown>;

describe('createApiDocument', () => {
  let app: INestApplication;
  let document: OpenAPIObject;

  beforeAll(async () => {
    app = await NestFactory.create(ShopModule, new FastifyAdapter(), { logger: false, abortOnError: false });
    document = createApiDocument(app, new DocumentBuilder().setTitle('shop').build(), [badgeRule]);
  });

  afterAll(async () => {
    await app.close();
  });

  const operation = (method: 'get' | 'post', path: string): Operation => {
    const found = document.paths[path]?.[method];
    if (!found) throw new Error(`${method} ${path} is not documented`);
    return found as Operation;
  };
  const response = (op: Operation, status: number) => op.responses[String(status)] as ResponseObject;
  const codesOf = (op: Operation, status: number): number[] => {
    const schema = response(op, status).content?.['application/json']?.schema as { allOf: [unknown, { properties: { code: { enum: number[] } } }] };
    return schema.allOf[1].properties.code.enum;
  };
  const errorStatuses = (op: Operation) => Object.keys(op.responses).map(Number).filter((status) => status >= 400);

  it('gives each error status one response: the envelope, the codes as an enum, `code — message` lines', () => {
    const order = operation('post', '/shop/orders');
    expect(codesOf(order, 409)).toEqual([4001, 4002, 7020]);
    expect(response(order, 409).description).toBe(
      '- 4001 — Sold out\n- 4002 — Price changed\n- 7020 — A request with this Idempotency-Key is still being processed',
    );
    expect(response(order, 409).content?.['application/json']?.schema).toEqual({
      allOf: [{ $ref: '#/components/schemas/ErrorEnvelope' }, { type: 'object', properties: { code: { type: 'integer', enum: [4001, 4002, 7020] } } }],
    });
    expect(document.components?.schemas?.ErrorEnvelope).toMatchObject({
      required: ['code', 'message', 'data', 'requestId'],
      properties: { code: { type: 'integer' }, message: { type: 'string' }, requestId: { type: 'string' } },
    });
  });

  it('derives the body, validation, Idempotency-Key and 500 errors from the route', () => {
    const order = operation('post', '/shop/orders');
    expect(errorStatuses(order)).toEqual([400, 409, 413, 415, 422, 500, 503]);
    expect(codesOf(order, 400)).toEqual([1001, 1002, 1019, 1020, 1021, 7022]);
    expect(codesOf(order, 413)).toEqual([1003]);
    expect(codesOf(order, 415)).toEqual([1004]);
    expect(codesOf(order, 422)).toEqual([7021]);
    expect(codesOf(order, 500)).toEqual([1000]);
    expect(codesOf(order, 503)).toEqual([1008, 4005]);
    expect(order.parameters).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false, schema: expect.objectContaining({ type: 'string' }) }),
    );

    // a GET with a ParseIntPipe parameter: 400 1015, no body errors
    const item = operation('get', '/shop/items/{id}');
    expect(errorStatuses(item)).toEqual([400, 404, 500, 503]);
    expect(codesOf(item, 400)).toEqual([1015]);
    // a hand-written description of the status is kept, the codes are added
    expect(response(item, 404).description).toBe('Also for items that were withdrawn\n- 4004 — No such item');

    // a validated query DTO: 1001; a non-JSON body: no JSON parse error
    expect(codesOf(operation('get', '/shop/items'), 400)).toEqual([1001]);
    const upload = operation('post', '/shop/photos');
    expect(codesOf(upload, 415)).toEqual([1004]);
    expect(upload.responses['400']).toBeUndefined();
  });

  it('adds what a rule derives from metadata: errors, request and response headers, security', () => {
    const search = operation('get', '/shop/items');
    expect(codesOf(search, 401)).toEqual([9001]);
    expect(search.parameters).toContainEqual({ name: 'X-Badge', in: 'header', required: true, description: 'Your badge', schema: { type: 'string' } });
    expect(search.security).toEqual([{ badge: [] }]);
    expect(response(search, 200).headers).toHaveProperty('X-Badge-Left', { $ref: '#/components/headers/X-Badge-Left' });
    expect(response(search, 401).headers).toHaveProperty('X-Badge-Left');
    expect(response(search, 500).headers).not.toHaveProperty('X-Badge-Left');
    expect(document.components?.headers?.['X-Badge-Left']).toEqual({ description: 'Uses left', schema: { type: 'integer' } });

    const order = operation('post', '/shop/orders');
    expect(order.security).toBeUndefined();
    expect(order.parameters).not.toContainEqual(expect.objectContaining({ name: 'X-Badge' }));
  });

  it('wraps 2xx in the success envelope, except raw responses', () => {
    const order = operation('post', '/shop/orders');
    expect(response(order, 201)).toMatchObject({
      description: 'Success',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/SuccessEnvelope' } } },
      headers: { 'X-Request-Id': expect.anything(), 'Idempotent-Replayed': expect.anything() },
    });
    expect(response(operation('get', '/shop/feed'), 200).content?.['application/json']?.schema).not.toEqual(
      expect.objectContaining({ $ref: expect.stringContaining('SuccessEnvelope') }),
    );
  });

  it('tells apart the controllers sharing an inherited route', () => {
    expect(codesOf(operation('get', '/north/status'), 409)).toEqual([4001]);
    expect(operation('get', '/north/status').responses['404']).toBeUndefined();
    expect(codesOf(operation('get', '/south/status'), 404)).toEqual([4004]);
    expect(operation('get', '/south/status').responses['409']).toBeUndefined();
  });

  it('leaves excluded controllers out and no trace of its own bookkeeping in', () => {
    expect(document.paths['/hidden']).toBeUndefined();
    expect(JSON.stringify(document)).not.toContain('x-contract-route');
  });

  it('refers only to components that exist', () => {
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((match) => match[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const pointer of refs) {
      const target = pointer.split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
      expect([pointer, target]).toEqual([pointer, expect.anything()]);
    }
  });

  it('gives the same document when built again in the same process', () => {
    expect(createApiDocument(app, new DocumentBuilder().setTitle('shop').build(), [badgeRule])).toEqual(document);
  });
});
