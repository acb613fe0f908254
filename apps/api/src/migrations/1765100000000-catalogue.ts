import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** The catalogue: products and their SKUs (price in integer fen, stock). */
export class Catalogue1765100000000 implements MigrationInterface {
  name = 'Catalogue1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    const timestamp = mysql
      ? { type: 'datetime', precision: 6, default: 'CURRENT_TIMESTAMP(6)' }
      : { type: 'datetime', default: "datetime('now')" };
    const updated = { ...timestamp, ...(mysql ? { onUpdate: 'CURRENT_TIMESTAMP(6)' } : {}) };
    const id = { name: 'id', type: mysql ? 'int' : 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' as const };
    const int = mysql ? 'int' : 'integer';

    await queryRunner.createTable(
      new Table({
        name: 'products',
        columns: [
          id,
          { name: 'name', type: 'varchar', length: '128' },
          { name: 'description', type: 'varchar', length: '2000', default: "''" },
          { name: 'category', type: 'varchar', length: '64' },
          { name: 'image_url', type: 'varchar', length: '512', default: "''" },
          { name: 'on_shelf', type: mysql ? 'tinyint' : 'boolean', default: 0 },
          { name: 'created_at', ...timestamp },
          { name: 'updated_at', ...updated },
        ],
      }),
    );
    await queryRunner.createIndices('products', [
      new TableIndex({ name: 'idx_products_shelf_category', columnNames: ['on_shelf', 'category', 'id'] }),
      new TableIndex({ name: 'idx_products_shelf', columnNames: ['on_shelf', 'id'] }),
    ]);

    await queryRunner.createTable(
      new Table({
        name: 'skus',
        columns: [
          id,
          { name: 'product_id', type: int },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'price_fen', type: int },
          { name: 'stock', type: int, default: 0 },
          { name: 'created_at', ...timestamp },
          { name: 'updated_at', ...updated },
        ],
      }),
    );
    await queryRunner.createIndex('skus', new TableIndex({ name: 'idx_skus_product', columnNames: ['product_id'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('skus');
    await queryRunner.dropTable('products');
  }
}
