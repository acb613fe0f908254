import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One admin write or sign-in event: who did what to which record, with the record before and after. */
@Entity({ name: 'audit_logs' })
@Index('idx_audit_logs_target', ['targetType', 'targetId'])
export class AuditLog {
  @PrimaryGeneratedColumn()
  id: number;

  @Index('idx_audit_logs_actor')
  @Column({ name: 'actor_id', type: 'int' })
  actorId: number;

  @Column({ name: 'actor_username', type: 'varchar', length: 64 })
  actorUsername: string;

  @Index('idx_audit_logs_action')
  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ name: 'target_type', type: 'varchar', length: 32 })
  targetType: string;

  @Column({ name: 'target_id', type: 'varchar', length: 64 })
  targetId: string;

  /** JSON of the changed fields before and after (secrets and phone numbers never stored in full). */
  @Column({ type: 'text', nullable: true })
  before: string | null;

  @Column({ type: 'text', nullable: true })
  after: string | null;

  @Column({ type: 'varchar', length: 64 })
  ip: string;

  /**
   * The server's own id of the request, never one the caller chose. When the caller sent no
   * X-Request-Id it is also the one echoed back and its log line's `requestId`; when it sent one,
   * the log line carries it as `serverRequestId`.
   */
  @Column({ name: 'request_id', type: 'varchar', length: 128 })
  requestId: string;

  /**
   * The X-Request-Id the caller sent, if short and plain: its own correlation id, echoed back to it
   * and its log line's `requestId`, never trusted as ours.
   */
  @Column({ name: 'client_request_id', type: 'varchar', length: 128, nullable: true })
  clientRequestId: string | null;

  @Index('idx_audit_logs_created_at')
  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
