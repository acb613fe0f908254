import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * First schema: the users table, and utf8mb4 as the database default on MySQL so every
 * later table stores Chinese names and emoji without a per-column charset.
 * Written with TypeORM's Table API so one migration serves MySQL and the embedded SQLite.
 */
export class InitUsers1763942400000 implements MigrationInterface {
  name = 'InitUsers1763942400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    if (mysql) {
      await queryRunner.query('ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    }
    const timestamp = mysql
      ? { type: 'datetime', precision: 6, default: 'CURRENT_TIMESTAMP(6)' }
      : { type: 'datetime', default: "datetime('now')" };
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          {
            name: 'id',
            type: mysql ? 'int' : 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'openid', type: 'varchar', length: '64' },
          { name: 'unionid', type: 'varchar', length: '64', isNullable: true },
          { name: 'nickname', type: 'varchar', length: '64', default: "''" },
          { name: 'avatar_url', type: 'varchar', length: '512', default: "''" },
          { name: 'phone', type: 'varchar', length: '32', isNullable: true },
          { name: 'role', type: 'varchar', length: '16', default: "'user'" },
          { name: 'disabled', type: mysql ? 'tinyint' : 'boolean', default: mysql ? 0 : 0 },
          { name: 'created_at', ...timestamp },
          {
            name: 'updated_at',
            ...timestamp,
            ...(mysql ? { onUpdate: 'CURRENT_TIMESTAMP(6)' } : {}),
          },
        ],
      }),
    );
    await queryRunner.createIndices('users', [
      new TableIndex({ name: 'uq_users_openid', columnNames: ['openid'], isUnique: true }),
      new TableIndex({ name: 'idx_users_unionid', columnNames: ['unionid'] }),
      new TableIndex({ name: 'idx_users_phone', columnNames: ['phone'] }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('users');
  }
}
