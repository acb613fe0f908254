import { type ArgumentMetadata, type PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { AppError } from './app-error';
import { CommonError } from './common.errors';

function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((text) =>
      // class-validator writes "<property> must ..."; show the full path for nested fields
      text.startsWith(error.property) ? `${path}${text.slice(error.property.length)}` : `${path}: ${text}`,
    );
    return [...own, ...flatten(error.children ?? [], path)];
  });
}

/** A whole number as written by someone who means one: no sign, spaces, exponent or leading zeros. */
const CANONICAL_INTEGER = /^-?(0|[1-9]\d{0,15})$/;

/**
 * Nest's pipe, stricter in two places. A path or query argument typed `number` is converted only
 * from a plain integer: Nest's `+value` made ` 1`, `+1`, `01` and `1e3` all read as a number, so
 * `DELETE /admin/products/%201` deleted product 1. Other text is left as it came, for the
 * argument's own pipe to refuse. And a JSON body of `null` is refused (Nest validates it as `{}`,
 * so a PATCH with `null` answered 200 having done nothing); a request without a body still
 * validates as `{}`, as before.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && value === null && typeof metadata.metatype === 'function' && metadata.metatype !== Object) {
      throw new AppError(CommonError.ValidationFailed, { message: `${CommonError.ValidationFailed.message}: the body must be a JSON object` });
    }
    return super.transform(value, metadata);
  }

  protected override transformPrimitive(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.metatype === Number && typeof value === 'string' && !CANONICAL_INTEGER.test(value)) return value;
    return super.transformPrimitive(value, metadata);
  }
}

/**
 * A path id (`@Param('id', ParseIdPipe)`): a positive whole number that fits the tables' int ids,
 * written plainly (the global pipe leaves any other spelling as text); anything else is 400 (1015).
 */
export class ParseIdPipe implements PipeTransform<unknown, number> {
  transform(value: unknown, metadata: ArgumentMetadata): number {
    const id = typeof value === 'string' && CANONICAL_INTEGER.test(value) ? Number(value) : value;
    if (typeof id === 'number' && Number.isInteger(id) && id >= 1 && id <= MAX_ID) return id;
    throw new AppError(CommonError.BadRequest, { message: `${metadata.data ?? 'id'} must be a positive whole number (at most ${MAX_ID})` });
  }
}

/**
 * A whole-number field of a query DTO (`?page=2`): converted from a plain integer only, so
 * `page=1e3`, `page=+2` or a repeated `page=1&page=2` stay as they came and @IsInt refuses them.
 * Instead of `@Type(() => Number)`, which takes all of those.
 */
export function IntegerFromQuery(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' && CANONICAL_INTEGER.test(value) ? Number(value) : value));
}

/** The largest id an `int` primary key holds. */
export const MAX_ID = 2_147_483_647;

/**
 * The global pipe: unknown fields are rejected (a client can never set role, price or
 * userId by adding a field), strings are converted to the DTO's types, and every
 * failure becomes a 400 with code 1001 and the list of problems.
 */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const problems = flatten(errors);
      return new AppError(CommonError.ValidationFailed, {
        message: `${CommonError.ValidationFailed.message}: ${problems.join('; ')}`,
      });
    },
  });
}
