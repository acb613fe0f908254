import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Sign-in sessions (refresh-token families): the durable record behind access tokens' `sid`.
 * Redis holds the per-request "session alive" records and can be rebuilt from this table.
 */
export class AuthSessions1764100000000 implements MigrationInterface {
  name = 'AuthSessions1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    const createdAt = mysql
      ? { type: 'datetime', precision: 6, default: 'CURRENT_TIMESTAMP(6)' }
      : { type: 'datetime', default: "datetime('now')" };
    // SQLite spells the entity's int as integer; the schema e2e test compares them
    const int = mysql ? 'int' : 'integer';
    await queryRunner.createTable(
      new Table({
        name: 'auth_sessions',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'subject_kind', type: 'varchar', length: '8' },
          { name: 'subject_id', type: int },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'refresh_hash', type: 'varchar', length: '64' },
          { name: 'generation', type: int, default: 0 },
          { name: 'ip', type: 'varchar', length: '64', isNullable: true },
          { name: 'user_agent', type: 'varchar', length: '255', isNullable: true },
          { name: 'created_at', ...createdAt },
          { name: 'rotated_at', type: 'datetime', isNullable: true },
          { name: 'expires_at', type: 'datetime' },
          { name: 'revoked_at', type: 'datetime', isNullable: true },
          { name: 'revoke_reason', type: 'varchar', length: '16', isNullable: true },
        ],
      }),
    );
    await queryRunner.createIndices('auth_sessions', [
      new TableIndex({ name: 'idx_auth_sessions_subject', columnNames: ['subject_kind', 'subject_id'] }),
      new TableIndex({ name: 'idx_auth_sessions_expires_at', columnNames: ['expires_at'] }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('auth_sessions');
  }
}
