import type { ErrorDefinition } from '../app-error';

export const API_ERRORS = 'http:apiErrors';

/**
 * The feature errors a route (or, on a controller, each of its routes) can answer with, taken
 * from the module's defineErrors table so status, code and message have one source:
 * `@ApiErrors(WechatError.InvalidCode, AuthError.UserDisabled)`. What follows from a route's
 * other decorators (sign-in, roles, body, rate limit, Idempotency-Key) is added without it
 * (see route-contract.ts). Documentation only: nothing reads it per request.
 */
export function ApiErrors(...errors: ErrorDefinition[]): MethodDecorator & ClassDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    const holder = (descriptor?.value ?? target) as object;
    const declared = (Reflect.getMetadata(API_ERRORS, holder) as ErrorDefinition[] | undefined) ?? [];
    Reflect.defineMetadata(API_ERRORS, [...declared, ...errors], holder);
  };
}
