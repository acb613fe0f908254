import { CallHandler, ExecutionContext, Injectable, NestInterceptor, StreamableFile } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { map, Observable } from 'rxjs';
import { successEnvelope } from './envelope';

export const RAW_RESPONSE = 'http:raw-response';

/** Marks a handler whose response must not be wrapped (metrics text, file downloads). */
export const RawResponse = (): MethodDecorator & ClassDecorator =>
  ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    Reflect.defineMetadata(RAW_RESPONSE, true, descriptor?.value ?? target);
  }) as MethodDecorator & ClassDecorator;

/** Wraps every handler result in `{ code: 0, message: 'ok', data, requestId }`. */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const raw = this.reflector.getAllAndOverride<boolean | undefined>(RAW_RESPONSE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (raw) return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return next
      .handle()
      .pipe(map((data: unknown) => (data instanceof StreamableFile ? data : successEnvelope(data, request.id))));
  }
}
