import { ValidateIf, type ValidationOptions } from 'class-validator';

/**
 * A request field that may be left out; when present, every other check on it applies, and
 * `null` is refused like any other wrong type. Use it instead of class-validator's
 * `@IsOptional()`, which skips every check for `null` too: `{"name": null}` then passed
 * validation and reached the database as a NOT NULL failure (a 500), or silently meant "no
 * change". No request field here gives `null` a meaning; one that ever does says so with
 * `@IsOptional()` and a comment.
 */
export function Omittable(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined, options);
}
