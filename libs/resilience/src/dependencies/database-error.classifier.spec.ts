import { DatabaseUnavailableError, type DatabaseUnavailableReason } from '@app/database';
import { CommonError, registerErrorClassifier, resolveError } from '@app/http';
import { QueryFailedError } from 'typeorm';
import { classifyDatabaseError } from './database-error.classifier';
import { DatabaseError } from './database.errors';

// shapes as mysql2 3.24 and better-sqlite3 12 raise them
const driverError = (message: string, fields: { code?: string; errno?: number; fatal?: boolean }) => Object.assign(new Error(message), fields);
const failedQuery = (error: Error) => new QueryFailedError('SELECT * FROM users WHERE id = ?', [7], error);

describe('classifyDatabaseError', () => {
  it.each<[string, Error]>([
    ['mysql2 query timeout (DB_QUERY_TIMEOUT_MS)', driverError('Query inactivity timeout', { code: 'PROTOCOL_SEQUENCE_TIMEOUT' })],
    ['lock wait timeout after the retries', driverError('Lock wait timeout exceeded', { code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 })],
    ['MariaDB max_statement_time', driverError('Query execution was interrupted (max_statement_time exceeded)', { code: 'ER_STATEMENT_TIMEOUT', errno: 1969 })],
    ['MySQL max_execution_time', driverError('Query execution was interrupted, maximum statement execution time exceeded', { errno: 3024 })],
  ])('%s -> 504 (7031)', (_name, error) => {
    expect(classifyDatabaseError(failedQuery(error))).toBe(DatabaseError.Timeout);
  });

  it.each<[string, Error]>([
    ['connection lost under a query', driverError('Connection lost: The server closed the connection.', { code: 'PROTOCOL_CONNECTION_LOST', fatal: true })],
    ['connection reset under a query', driverError('read ECONNRESET', { code: 'ECONNRESET', fatal: true })],
    ['a query on a connection already closed', driverError("Can't add new command when connection is in closed state", { fatal: true })],
    ['too many connections', driverError('Too many connections', { code: 'ER_CON_COUNT_ERROR', errno: 1040 })],
    ['server shutting down', driverError('Server shutdown in progress', { code: 'ER_SERVER_SHUTDOWN', errno: 1053 })],
    ['SQLite writer lock past busy_timeout', driverError('database is locked', { code: 'SQLITE_BUSY' })],
  ])('%s -> 503 (7030)', (_name, error) => {
    expect(classifyDatabaseError(failedQuery(error))).toBe(DatabaseError.Unavailable);
  });

  it.each<DatabaseUnavailableReason>(['acquireTimeout', 'circuitOpen', 'queueFull', 'poolClosed', 'connectFailed'])(
    'no connection from the pool (%s) -> 503 (7030)',
    (reason) => {
      expect(classifyDatabaseError(new DatabaseUnavailableError(reason, 'no connection'))).toBe(DatabaseError.Unavailable);
    },
  );

  it.each<[string, unknown]>([
    ['a duplicate key', failedQuery(driverError("Duplicate entry 'o1' for key 'uq_users_openid'", { code: 'ER_DUP_ENTRY', errno: 1062 }))],
    ['a syntax error', failedQuery(driverError('You have an error in your SQL syntax', { code: 'ER_PARSE_ERROR', errno: 1064 }))],
    ['a deadlock (TransactionRunner retries those)', failedQuery(driverError('Deadlock found', { code: 'ER_LOCK_DEADLOCK', errno: 1213 }))],
    ['a SQLite constraint', failedQuery(driverError('UNIQUE constraint failed: users.openid', { code: 'SQLITE_CONSTRAINT_UNIQUE' }))],
    // the same socket codes from anything else (Redis, an HTTP client) are not the database's
    ['ECONNREFUSED outside the database layer', driverError('connect ECONNREFUSED 127.0.0.1:6379', { code: 'ECONNREFUSED' })],
    ['a fatal-looking error outside the database layer', driverError('Query inactivity timeout', { code: 'PROTOCOL_SEQUENCE_TIMEOUT', fatal: true })],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a thrown string', 'boom'],
    ['null', null],
  ])('%s stays unclassified (500 if nothing else knows it)', (_name, error) => {
    expect(classifyDatabaseError(error)).toBeUndefined();
  });

  it('answers through the exception filter once registered: 503/504 with their codes, bugs still 500', () => {
    registerErrorClassifier(classifyDatabaseError);
    const stalled = resolveError(failedQuery(driverError('Query inactivity timeout', { code: 'PROTOCOL_SEQUENCE_TIMEOUT' })));
    expect(stalled).toMatchObject({ definition: { code: 7031, status: 504 }, message: DatabaseError.Timeout.message, data: null });
    expect(resolveError(new DatabaseUnavailableError('acquireTimeout', 'waited 3000 ms')).definition).toMatchObject({ code: 7030, status: 503 });
    expect(resolveError(failedQuery(driverError('Duplicate entry', { code: 'ER_DUP_ENTRY', errno: 1062 }))).definition).toBe(CommonError.Internal);
  });
});
