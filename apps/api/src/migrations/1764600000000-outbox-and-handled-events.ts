import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * The transactional outbox (libs/events): domain events written in the publishing transaction and
 * published by the relay, and the consumers' records of what they handled (idempotent delivery).
 */
export class OutboxAndHandledEvents1764600000000 implements MigrationInterface {
  name = 'OutboxAndHandledEvents1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // milliseconds: the outbox lag is measured between created_at and sent_at
    const time = { type: 'datetime', precision: 3 };
    await queryRunner.createTable(
      new Table({
        name: 'outbox_events',
        columns: [
          // the event id, a UUIDv7: time-ordered, so inserts append to the primary key
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'payload', type: 'text' },
          { name: 'created_at', ...time },
          { name: 'sent_at', ...time, isNullable: true },
        ],
      }),
    );
    // the relay's claim (sent_at IS NULL ORDER BY id) and the pruning of old sent rows
    await queryRunner.createIndex('outbox_events', new TableIndex({ name: 'idx_outbox_events_unsent', columnNames: ['sent_at', 'id'] }));

    await queryRunner.createTable(
      new Table({
        name: 'handled_events',
        columns: [
          { name: 'event_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'consumer', type: 'varchar', length: '100', isPrimary: true },
          { name: 'handled_at', ...time },
        ],
      }),
    );
    await queryRunner.createIndex('handled_events', new TableIndex({ name: 'idx_handled_events_handled_at', columnNames: ['handled_at'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('handled_events');
    await queryRunner.dropTable('outbox_events');
  }
}
