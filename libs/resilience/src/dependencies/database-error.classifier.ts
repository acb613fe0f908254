import { DatabaseUnavailableError } from '@app/database';
import type { ErrorClassifier, ErrorDefinition } from '@app/http';
import { QueryFailedError } from 'typeorm';
import { DatabaseError } from './database.errors';

/**
 * The server did not answer in time: mysql2's query timeout (DB_QUERY_TIMEOUT_MS, "Query
 * inactivity timeout"), a lock wait that outlived innodb_lock_wait_timeout (after
 * TransactionRunner's retries), a statement stopped by MariaDB's max_statement_time or MySQL's
 * max_execution_time.
 */
const TIMEOUT_CODES: ReadonlySet<string> = new Set(['PROTOCOL_SEQUENCE_TIMEOUT', 'ER_LOCK_WAIT_TIMEOUT', 'ER_STATEMENT_TIMEOUT', 'ER_QUERY_TIMEOUT']);
const TIMEOUT_ERRNOS: ReadonlySet<number> = new Set([1205, 1969, 3024]);

/**
 * The connection went away under a query (mysql2 marks those errors `fatal`; they carry a socket
 * code or PROTOCOL_CONNECTION_LOST), the server is refusing connections or shutting down, or
 * SQLite's writer lock outlived its busy_timeout.
 */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set(['ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'PROTOCOL_CONNECTION_LOST']);
const UNAVAILABLE_ERRNOS: ReadonlySet<number> = new Set([1040, 1053]);

interface DriverErrorShape {
  code?: unknown;
  errno?: unknown;
  fatal?: unknown;
}

function classifyDriverError(driverError: DriverErrorShape): ErrorDefinition | undefined {
  const { code, errno } = driverError;
  if ((typeof code === 'string' && TIMEOUT_CODES.has(code)) || (typeof errno === 'number' && TIMEOUT_ERRNOS.has(errno))) {
    return DatabaseError.Timeout;
  }
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('SQLITE_BUSY'))) return DatabaseError.Unavailable;
  if (typeof errno === 'number' && UNAVAILABLE_ERRNOS.has(errno)) return DatabaseError.Unavailable;
  if (driverError.fatal === true) return DatabaseError.Unavailable;
  return undefined;
}

/**
 * Database failures as clients see them: 503 (7030) when no connection could be had or it broke,
 * 504 (7031) when the server did not answer in time. Matches only errors that come out of the
 * database layer (libs/database's DatabaseUnavailableError, TypeORM's QueryFailedError wrapping a
 * driver error) and only those codes: a constraint violation, a syntax error or any other bug
 * stays a 500 with its stack in the log. Registered by the composition root (app.factory.ts).
 */
export const classifyDatabaseError: ErrorClassifier = (error) => {
  if (error instanceof DatabaseUnavailableError) return DatabaseError.Unavailable;
  if (error instanceof QueryFailedError) {
    const driverError = error.driverError as DriverErrorShape | undefined;
    return typeof driverError === 'object' && driverError !== null ? classifyDriverError(driverError) : undefined;
  }
  return undefined;
};
