import { ValidationError, ValidationPipe } from '@nestjs/common';
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

/**
 * The global pipe: unknown fields are rejected (a client can never set role, price or
 * userId by adding a field), strings are converted to the DTO's types, and every
 * failure becomes a 400 with code 1001 and the list of problems.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
