import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** Dashboard accounts (argon2id hashes) and the audit log of admin writes. */
export class AdminAccountsAndAuditLogs1764000000000 implements MigrationInterface {
  name = 'AdminAccountsAndAuditLogs1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    const timestamp = mysql
      ? { type: 'datetime', precision: 6, default: 'CURRENT_TIMESTAMP(6)' }
      : { type: 'datetime', default: "datetime('now')" };
    const id = { name: 'id', type: mysql ? 'int' : 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' as const };

    await queryRunner.createTable(
      new Table({
        name: 'admin_accounts',
        columns: [
          id,
          { name: 'username', type: 'varchar', length: '64' },
          { name: 'password_hash', type: 'varchar', length: '255' },
          { name: 'role', type: 'varchar', length: '16', default: "'admin'" },
          { name: 'disabled', type: mysql ? 'tinyint' : 'boolean', default: 0 },
          { name: 'last_login_at', type: 'datetime', isNullable: true },
          { name: 'created_at', ...timestamp },
          { name: 'updated_at', ...timestamp, ...(mysql ? { onUpdate: 'CURRENT_TIMESTAMP(6)' } : {}) },
        ],
      }),
    );
    await queryRunner.createIndex(
      'admin_accounts',
      new TableIndex({ name: 'uq_admin_accounts_username', columnNames: ['username'], isUnique: true }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'audit_logs',
        columns: [
          id,
          // SQLite spells it integer (same affinity as int; TypeORM's schema diff tells them apart)
          { name: 'actor_id', type: mysql ? 'int' : 'integer' },
          { name: 'actor_username', type: 'varchar', length: '64' },
          { name: 'action', type: 'varchar', length: '64' },
          { name: 'target_type', type: 'varchar', length: '32' },
          { name: 'target_id', type: 'varchar', length: '64' },
          { name: 'before', type: 'text', isNullable: true },
          { name: 'after', type: 'text', isNullable: true },
          { name: 'ip', type: 'varchar', length: '64' },
          { name: 'request_id', type: 'varchar', length: '128' },
          { name: 'created_at', ...timestamp },
        ],
      }),
    );
    await queryRunner.createIndices('audit_logs', [
      new TableIndex({ name: 'idx_audit_logs_actor', columnNames: ['actor_id'] }),
      new TableIndex({ name: 'idx_audit_logs_action', columnNames: ['action'] }),
      new TableIndex({ name: 'idx_audit_logs_target', columnNames: ['target_type', 'target_id'] }),
      new TableIndex({ name: 'idx_audit_logs_created_at', columnNames: ['created_at'] }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_logs');
    await queryRunner.dropTable('admin_accounts');
  }
}
