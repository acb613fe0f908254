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

/**
 * TypeORM's logging through the application logger. TypeORM's own loggers print plain text
 * to the console, in the middle of the JSON log stream, and print every bound parameter of a
 * failed query: phone numbers, password hashes and session keys would reach the logs.
 * Here a failed query logs its SQL text and the driver's error code, never the parameters,
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
      reason: typeof error === 'string' ? error : error.message,
      query,
      ...(this.options.logQueries ? { parameters } : {}),
    };
    if (isUniqueViolation(error)) this.sink.debug(details, 'duplicate key');
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
