import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Audit rows keep the server's request id in `request_id` and the caller's X-Request-Id, when it
 * sent one, beside it: a client could otherwise choose the id its audit rows are found by.
 */
export class AuditClientRequestId1765000000001 implements MigrationInterface {
  name = 'AuditClientRequestId1765000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('audit_logs', new TableColumn({ name: 'client_request_id', type: 'varchar', length: '128', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('audit_logs', 'client_request_id');
  }
}
