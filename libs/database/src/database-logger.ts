import { Logger as NestLogger } from '@nestjs/common';
import { QueryFailedError, type Logger as TypeOrmLogger } from 'typeorm';

/** What the database logger writes to: Nest's Logger (JSON through pino in production), or a test sink. */
export interface DatabaseLogSink {
  debug(details: object | string, message?: string): void;
  log(details: object | string, message?: string): void;
  warn(details: object | string, message?: string): void;
  error(details: object | string, message?: string): void;
}

/** A duplicate key: callers that insert-if-absent expect and handle it (e.g. concurrent first logins). */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; errno?: number } | undefined;
  return driverError?.code === 'ER_DUP_ENTRY' || driverError?.errno === 1062 || /UNIQUE constraint failed/.test(error.message);
}

// TypeORM hands its logger the driver's own error, and wraps that one in a QueryFailedError only for the caller
const isDriverDuplicate = (error: unknown): boolean => {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
  return code === 'ER_DUP_ENTRY' || errno === 1062 || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
};

// a quoted literal, unless it names a key: "Duplicate entry '138…' for key 'uq_users_phone'"
const QUOTED_VALUE = /(?<!\bkey )'(?:[^'\\]|\\.|'')*'/g;
// a syntax error quotes the rest of the statement as is, inner quotes unescaped
const SYNTAX_ERROR_FRAGMENT = /near '[\s\S]*' at line (\d+)/;

/**
 * The message of a database error with the values it quotes replaced by '?', or undefined when the
 * error does not come from a database. MySQL and MariaDB quote the offending value in their
 * messages (mysql2's `sqlMessage`): "Duplicate entry '13812345678' for key …", "Incorrect integer
 * value: 'abc' for column …", "… near 'VALUES ('138…')' at line 1". The error code (ER_DUP_ENTRY)
 * and the key's name still say what failed; identifiers some messages quote go too, and the
 * query text (placeholders only) logged with a failed query names them. Registered with the
 * exception filter by the composition root (registerErrorTextRedactor).
 */
export function redactDatabaseErrorText(error: Error): string | undefined {
  const fields = error as { code?: unknown; sql?: unknown; sqlMessage?: unknown; parameters?: unknown; driverError?: unknown };
  const fromDatabase =
    error instanceof QueryFailedError ||
    fields.sql !== undefined ||
    fields.sqlMessage !== undefined ||
    (typeof fields.code === 'string' && /^(ER_|SQLITE_)/.test(fields.code));
  return fromDatabase ? String(error.message).replace(SYNTAX_ERROR_FRAGMENT, "near '?' at line $1").replace(QUOTED_VALUE, "'?'") : undefined;
}

/**
 * TypeORM's logging through the application logger. TypeORM's own loggers print plain text
 * to the console, in the middle of the JSON log stream, and print every bound parameter of a
 * failed query: phone numbers, password hashes and session keys would reach the logs.
 * Here a failed query logs its SQL text and the driver's error code, never the parameters nor
 * the values the server quotes in its message,
 * and a duplicate key is debug-level: code that inserts-if-absent handles it, and code that
 * does not turns it into an error response that the exception filter logs. Parameters appear
 * only with DB_LOG_QUERIES=true, a development switch.
 */
export class DatabaseLogger implements TypeOrmLogger {
  constructor(
    private readonly options: { logQueries: boolean },
    private readonly sink: DatabaseLogSink = new NestLogger('Database'),
  ) {}

  logQuery(query: string, parameters?: unknown): void {
    if (this.options.logQueries) this.sink.debug({ query, parameters }, 'query');
  }

  logQueryError(error: string | Error, query: string, parameters?: unknown): void {
    const driverError = (error as { driverError?: { code?: string; errno?: number } }).driverError;
    const details = {
      code: driverError?.code ?? (error as { code?: string }).code,
      errno: driverError?.errno,
      reason: typeof error === 'string' ? error : (redactDatabaseErrorText(error) ?? error.message),
      query,
      ...(this.options.logQueries ? { parameters } : {}),
    };
    if (isUniqueViolation(error) || isDriverDuplicate(error)) this.sink.debug(details, 'duplicate key');
    else this.sink.error(details, 'query failed');
  }

  logQuerySlow(time: number, query: string, parameters?: unknown): void {
    this.sink.warn({ durationMs: time, query, ...(this.options.logQueries ? { parameters } : {}) }, 'slow query');
  }

  // plain messages go as the only argument: Nest's console logger would print an empty object
  logSchemaBuild(message: string): void {
    this.sink.debug(message);
  }

  logMigration(message: string): void {
    this.sink.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    if (level === 'warn') this.sink.warn(text);
    else this.sink.log(text);
  }
}
