import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { PayloadClass } from './job-type';

/** A payload that does not match its class: a bug in the code that built it, never worth a retry. */
export class InvalidPayloadError extends Error {
  constructor(
    readonly what: string,
    readonly problems: string[],
  ) {
    super(`invalid ${what} payload: ${problems.join('; ')}`);
    this.name = 'InvalidPayloadError';
  }
}

function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((text) => (text.startsWith(error.property) ? `${parent ? `${parent}.` : ''}${text}` : `${path}: ${text}`));
    return [...own, ...describe(error.children ?? [], path)];
  });
}

/**
 * The payload as its class, validated; throws InvalidPayloadError. Unknown properties are refused,
 * as the HTTP ValidationPipe refuses them: what a handler reads is exactly what the class declares.
 */
export function validatePayload<P extends object>(type: PayloadClass<P>, plain: unknown, what: string): P {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    throw new InvalidPayloadError(what, ['the payload must be an object']);
  }
  const instance = plainToInstance(type, plain);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false });
  if (errors.length > 0) throw new InvalidPayloadError(what, describe(errors));
  return instance;
}

/**
 * What is stored: plain JSON data. Class instances, Dates and undefined properties become what
 * JSON.parse would give back, so the stored payload is what the handler will see.
 */
export function toStoredPayload(payload: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(payload)) as Record<string, unknown>;
}
