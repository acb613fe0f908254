import { plainToInstance, Transform } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

/** Thrown at boot when an environment variable is missing or malformed. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEY|URL/i;

function describe(error: ValidationError): string[] {
  const name = error.property;
  const shown = SECRET_NAME.test(name) ? '' : ` (got ${JSON.stringify(error.value)})`;
  return Object.values(error.constraints ?? {}).map((text) => {
    // class-validator phrases every constraint as "<property> must ..."
    const message = text.startsWith(name) ? text : `${name}: ${text}`;
    return error.value === undefined ? message : `${message}${shown}`;
  });
}

/**
 * Validates a slice of the environment against a class whose property names are the
 * variable names, so every error message names the variable to fix.
 */
export function parseEnv<T extends object>(schema: new () => T, env: NodeJS.ProcessEnv): T {
  const raw: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    // an empty assignment (`DB_HOST=`) means "not set", as in most twelve-factor tooling
    raw[name] = value === '' ? undefined : value;
  }
  const instance = plainToInstance(schema, raw, { exposeDefaultValues: true });
  const errors = validateSync(instance, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new ConfigValidationError(errors.flatMap(describe));
  }
  return instance;
}

/** 'true'/'1'/'yes'/'on' and their opposites; anything else is left for @IsBoolean to reject. */
export function ToBoolean(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const normalized = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
    if (['false', '0', 'no', 'off'].includes(normalized)) return false;
    return value;
  });
}

/** Integers from the environment; a non-numeric string stays a string so @IsInt names it. */
export function ToInteger(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    return /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  });
}

/** Comma-separated lists: `a, b,c` -> ['a', 'b', 'c']. */
export function ToList(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item.length > 0)
      : value,
  );
}

/**
 * Runs every config loader and reports all problems at once, so an operator fixes the
 * environment in one pass instead of one restart per variable.
 */
export function validateAll(loaders: Array<() => unknown>): void {
  const problems = loaders.flatMap((load) => {
    try {
      load();
      return [];
    } catch (error) {
      if (error instanceof ConfigValidationError) return error.problems;
      throw error;
    }
  });
  if (problems.length > 0) throw new ConfigValidationError([...new Set(problems)]);
}
