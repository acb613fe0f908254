import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type AdminRole = 'admin' | 'operator';

/** A dashboard account: username + argon2id password hash. Not a mini-program user. */
@Entity({ name: 'admin_accounts' })
export class AdminAccount {
  @PrimaryGeneratedColumn()
  id: number;

  @Index('uq_admin_accounts_username', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  username: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  /** admin: read and write; operator: read-only. */
  @Column({ type: 'varchar', length: 16, default: 'admin' })
  role: AdminRole;

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  @Column({ name: 'last_login_at', type: 'datetime', nullable: true })
  lastLoginAt: Date | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;
}
