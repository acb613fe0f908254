import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type UserRole = 'user' | 'operator' | 'admin';

/** A mini-program user, keyed by the WeChat openid of our app. */
@Entity({ name: 'users' })
export class User {
  // int (not bigint): SQLite auto-increments only an INTEGER key, and 2^31 users is far off
  @PrimaryGeneratedColumn()
  id: number;

  @Index('uq_users_openid', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  openid: string;

  @Index('idx_users_unionid')
  @Column({ type: 'varchar', length: 64, nullable: true })
  unionid: string | null;

  @Column({ type: 'varchar', length: 64, default: '' })
  nickname: string;

  @Column({ name: 'avatar_url', type: 'varchar', length: 512, default: '' })
  avatarUrl: string;

  @Index('idx_users_phone')
  @Column({ type: 'varchar', length: 32, nullable: true })
  phone: string | null;

  @Column({ type: 'varchar', length: 16, default: 'user' })
  role: UserRole;

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;
}
