import type { Type } from '@nestjs/common';
import { factsOf } from '@app/http/openapi/api-document';
import type { RouteFacts } from '@app/http';

/** For unit tests of contract rules: what the document builder would hand them for this handler. */
export function routeFactsOf<T>(controller: Type<T>, methodName: keyof T & string, route: { method: string; path: string }): RouteFacts {
  const handler = (controller.prototype as Record<string, unknown>)[methodName] as object;
  return factsOf({ controller, methodName, handler }, route.method, route.path);
}
