import { QueryFailedError } from 'typeorm';
import { DatabaseLogger, type DatabaseLogSink, isUniqueViolation, redactDatabaseErrorText } from './database-logger';

function recordingSink() {
  const lines: { level: string; details: object | string; message?: string }[] = [];
  const sink: DatabaseLogSink = {
    debug: (details, message) => lines.push({ level: 'debug', details, message }),
    log: (details, message) => lines.push({ level: 'log', details, message }),
    warn: (details, message) => lines.push({ level: 'warn', details, message }),
    error: (details, message) => lines.push({ level: 'error', details, message }),
  };
  return { sink, lines };
}

const SECRET_PARAMETERS = ['13800138000', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'];
const duplicate = () =>
  new QueryFailedError('INSERT INTO users', [], Object.assign(new Error("Duplicate entry 'o1' for key 'uq_users_openid'"), { code: 'ER_DUP_ENTRY', errno: 1062 }));

describe('DatabaseLogger', () => {
  it('logs a failed query with its SQL and error code but never its parameters', () => {
    const { sink, lines } = recordingSink();
    const failure = new QueryFailedError('UPDATE users SET phone = ?', SECRET_PARAMETERS, Object.assign(new Error('Lock wait timeout'), { code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 }));
    new DatabaseLogger({ logQueries: false }, sink).logQueryError(failure, 'UPDATE users SET phone = ?', SECRET_PARAMETERS);

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', message: 'query failed', details: { code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205, query: 'UPDATE users SET phone = ?' } });
    for (const secret of SECRET_PARAMETERS) expect(JSON.stringify(lines)).not.toContain(secret);
  });

  it('keeps duplicate keys at debug level: insert-if-absent code expects them', () => {
    const { sink, lines } = recordingSink();
    new DatabaseLogger({ logQueries: false }, sink).logQueryError(duplicate(), 'INSERT INTO users', ['o1']);
    expect(lines.map((line) => [line.level, line.message])).toEqual([['debug', 'duplicate key']]);
  });

  it('keeps the driver\'s own duplicate error (what TypeORM hands its logger) at debug, without the value it quotes', () => {
    const { sink, lines } = recordingSink();
    const raw = Object.assign(new Error("Duplicate entry '13800138000' for key 'idx_users_phone'"), { code: 'ER_DUP_ENTRY', errno: 1062, sql: "INSERT INTO users (phone) VALUES ('13800138000')" });
    new DatabaseLogger({ logQueries: false }, sink).logQueryError(raw, 'INSERT INTO users (phone) VALUES (?)', ['13800138000']);
    expect(lines).toEqual([
      {
        level: 'debug',
        message: 'duplicate key',
        details: { code: 'ER_DUP_ENTRY', errno: undefined, reason: "Duplicate entry '?' for key 'idx_users_phone'", query: 'INSERT INTO users (phone) VALUES (?)' },
      },
    ]);
  });

  it('redacts the values a database quotes in its messages, and leaves other errors alone', () => {
    const driver = (message: string, code: string) => Object.assign(new Error(message), { code });
    expect(redactDatabaseErrorText(driver("Incorrect integer value: 'abc' for column `db`.`t`.`n` at row 1", 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD'))).toBe(
      "Incorrect integer value: '?' for column `db`.`t`.`n` at row 1",
    );
    expect(redactDatabaseErrorText(driver("You have an error in your SQL syntax; near 'VALUES ('1380013', 'it''s')' at line 1", 'ER_PARSE_ERROR'))).toBe(
      "You have an error in your SQL syntax; near '?' at line 1",
    );
    expect(redactDatabaseErrorText(duplicate())).toBe("Duplicate entry '?' for key 'uq_users_openid'");
    expect(redactDatabaseErrorText(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBeUndefined();
  });

  it('logs queries with their parameters only when DB_LOG_QUERIES asks for it', () => {
    const quiet = recordingSink();
    new DatabaseLogger({ logQueries: false }, quiet.sink).logQuery('SELECT 1', [1]);
    expect(quiet.lines).toEqual([]);

    const verbose = recordingSink();
    new DatabaseLogger({ logQueries: true }, verbose.sink).logQuery('SELECT ?', [42]);
    expect(verbose.lines).toEqual([{ level: 'debug', details: { query: 'SELECT ?', parameters: [42] }, message: 'query' }]);
  });

  it('warns about slow queries without their parameters', () => {
    const { sink, lines } = recordingSink();
    new DatabaseLogger({ logQueries: false }, sink).logQuerySlow(2500, 'SELECT * FROM orders', SECRET_PARAMETERS);
    expect(lines).toEqual([{ level: 'warn', details: { durationMs: 2500, query: 'SELECT * FROM orders' }, message: 'slow query' }]);
  });

  it('passes migration and schema messages as plain text', () => {
    const { sink, lines } = recordingSink();
    const logger = new DatabaseLogger({ logQueries: false }, sink);
    logger.logMigration('Migration X has been executed successfully.');
    logger.log('warn', 'pool is draining');
    expect(lines).toEqual([
      { level: 'log', details: 'Migration X has been executed successfully.', message: undefined },
      { level: 'warn', details: 'pool is draining', message: undefined },
    ]);
  });

  it('recognises duplicate keys from MySQL/MariaDB and SQLite only', () => {
    expect(isUniqueViolation(duplicate())).toBe(true);
    expect(isUniqueViolation(new QueryFailedError('INSERT', [], new Error('UNIQUE constraint failed: users.openid')))).toBe(true);
    expect(isUniqueViolation(new QueryFailedError('INSERT', [], new Error('NOT NULL constraint failed: users.openid')))).toBe(false);
    expect(isUniqueViolation(new Error('Duplicate entry'))).toBe(false);
  });
});
