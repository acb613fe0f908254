import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Sessions get an absolute end (no refresh extends them past it) and remember the hash of the
 * refresh token their last rotation retired, so only a token that was really issued counts as a
 * replay. Sessions already open end no later than their current sliding expiry; admin sessions
 * no later than 12 hours after they began (the default admin lifetime), so a deploy does not
 * leave month-long admin sessions behind.
 */
export class SessionLifetimeAndReuse1765000000000 implements MigrationInterface {
  name = 'SessionLifetimeAndReuse1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    await queryRunner.addColumns('auth_sessions', [
      new TableColumn({ name: 'previous_refresh_hash', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'absolute_expires_at', type: 'datetime', isNullable: true }),
    ]);
    const adminEnd = mysql ? 'DATE_ADD(created_at, INTERVAL 12 HOUR)' : "datetime(created_at, '+12 hours')";
    await queryRunner.query(
      `UPDATE auth_sessions SET absolute_expires_at = CASE WHEN subject_kind = 'admin' AND ${adminEnd} < expires_at THEN ${adminEnd} ELSE expires_at END`,
    );
    await queryRunner.query('UPDATE auth_sessions SET expires_at = absolute_expires_at WHERE absolute_expires_at < expires_at');
    await queryRunner.changeColumn(
      'auth_sessions',
      'absolute_expires_at',
      new TableColumn({ name: 'absolute_expires_at', type: 'datetime', isNullable: false }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('auth_sessions', 'absolute_expires_at');
    await queryRunner.dropColumn('auth_sessions', 'previous_refresh_hash');
  }
}
