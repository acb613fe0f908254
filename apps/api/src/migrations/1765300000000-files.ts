import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** Uploaded files (issue 18): one row per stored object that passed every check. */
export class Files1765300000000 implements MigrationInterface {
  name = 'Files1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    const createdAt = mysql
      ? { type: 'datetime', precision: 6, default: 'CURRENT_TIMESTAMP(6)' }
      : { type: 'datetime', default: "datetime('now')" };
    const int = mysql ? 'int' : 'integer';
    await queryRunner.createTable(
      new Table({
        name: 'files',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'owner_kind', type: 'varchar', length: '8' },
          { name: 'owner_id', type: int },
          { name: 'purpose', type: 'varchar', length: '16' },
          { name: 'mime', type: 'varchar', length: '64' },
          { name: 'size', type: int },
          { name: 'sha256', type: 'varchar', length: '64' },
          { name: 'width', type: int, isNullable: true },
          { name: 'height', type: int, isNullable: true },
          { name: 'original_name', type: 'varchar', length: '255' },
          { name: 'driver', type: 'varchar', length: '8' },
          { name: 'storage_key', type: 'varchar', length: '255' },
          { name: 'status', type: 'varchar', length: '16', default: "'committed'" },
          { name: 'created_at', ...createdAt },
        ],
      }),
    );
    await queryRunner.createIndices('files', [
      new TableIndex({ name: 'idx_files_owner', columnNames: ['owner_kind', 'owner_id', 'created_at'] }),
      new TableIndex({ name: 'uq_files_storage_key', columnNames: ['storage_key'], isUnique: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('files');
  }
}
