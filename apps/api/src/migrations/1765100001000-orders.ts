import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** Orders, their lines, their history (order_events) and their refunds. */
export class Orders1765100001000 implements MigrationInterface {
  name = 'Orders1765100001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    const timestamp = mysql
      ? { type: 'datetime', precision: 6, default: 'CURRENT_TIMESTAMP(6)' }
      : { type: 'datetime', default: "datetime('now')" };
    const updated = { ...timestamp, ...(mysql ? { onUpdate: 'CURRENT_TIMESTAMP(6)' } : {}) };
    const millis = { type: 'datetime', precision: 3 };
    const id = { name: 'id', type: mysql ? 'int' : 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' as const };
    const int = mysql ? 'int' : 'integer';

    await queryRunner.createTable(
      new Table({
        name: 'orders',
        columns: [
          id,
          { name: 'order_no', type: 'varchar', length: '32' },
          { name: 'user_id', type: int },
          { name: 'status', type: 'varchar', length: '24' },
          { name: 'version', type: int, default: 0 },
          { name: 'total_fen', type: int },
          { name: 'paid_fen', type: int, default: 0 },
          { name: 'refunded_fen', type: int, default: 0 },
          { name: 'remark', type: 'varchar', length: '200', default: "''" },
          { name: 'pay_deadline', ...millis },
          { name: 'prepay_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'transaction_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'paid_at', ...millis, isNullable: true },
          { name: 'tracking_no', type: 'varchar', length: '64', isNullable: true },
          { name: 'created_at', ...millis },
          { name: 'updated_at', ...updated },
        ],
      }),
    );
    await queryRunner.createIndices('orders', [
      new TableIndex({ name: 'uq_orders_order_no', columnNames: ['order_no'], isUnique: true }),
      new TableIndex({ name: 'idx_orders_user_created', columnNames: ['user_id', 'created_at'] }),
      new TableIndex({ name: 'idx_orders_status_created', columnNames: ['status', 'created_at'] }),
      new TableIndex({ name: 'idx_orders_status_deadline', columnNames: ['status', 'pay_deadline'] }),
    ]);

    await queryRunner.createTable(
      new Table({
        name: 'order_items',
        columns: [
          id,
          { name: 'order_id', type: int },
          { name: 'product_id', type: int },
          { name: 'sku_id', type: int },
          { name: 'product_name', type: 'varchar', length: '128' },
          { name: 'sku_name', type: 'varchar', length: '64' },
          { name: 'unit_price_fen', type: int },
          { name: 'quantity', type: int },
        ],
      }),
    );
    await queryRunner.createIndex('order_items', new TableIndex({ name: 'idx_order_items_order', columnNames: ['order_id'] }));

    await queryRunner.createTable(
      new Table({
        name: 'order_events',
        columns: [
          id,
          { name: 'order_id', type: int },
          { name: 'from_status', type: 'varchar', length: '24', isNullable: true },
          { name: 'to_status', type: 'varchar', length: '24' },
          { name: 'actor', type: 'varchar', length: '64' },
          { name: 'note', type: 'varchar', length: '255', default: "''" },
          { name: 'created_at', ...timestamp },
        ],
      }),
    );
    await queryRunner.createIndex('order_events', new TableIndex({ name: 'idx_order_events_order', columnNames: ['order_id'] }));

    await queryRunner.createTable(
      new Table({
        name: 'order_refunds',
        columns: [
          id,
          { name: 'order_id', type: int },
          { name: 'out_refund_no', type: 'varchar', length: '64' },
          { name: 'amount_fen', type: int },
          { name: 'reason', type: 'varchar', length: '80', default: "''" },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'refund_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'created_at', ...timestamp },
          { name: 'updated_at', ...updated },
        ],
      }),
    );
    await queryRunner.createIndices('order_refunds', [
      new TableIndex({ name: 'idx_order_refunds_order', columnNames: ['order_id'] }),
      new TableIndex({ name: 'uq_order_refunds_out_refund_no', columnNames: ['out_refund_no'], isUnique: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('order_refunds');
    await queryRunner.dropTable('order_events');
    await queryRunner.dropTable('order_items');
    await queryRunner.dropTable('orders');
  }
}
