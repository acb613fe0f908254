import { applyDecorators, SetMetadata } from '@nestjs/common';

/** Metadata read by the API's global auth guard (apps/api/src/auth). */
export const PUBLIC_ROUTE = 'access:public';
export const REQUIRED_ROLES = 'access:roles';

export type Role = 'user' | 'operator' | 'admin';

/** Reachable without a token (ping, health, login, refresh). Everything else needs one. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** Only principals with one of these roles; anyone else gets 403. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => applyDecorators(SetMetadata(REQUIRED_ROLES, roles));
