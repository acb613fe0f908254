import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, Repository } from 'typeorm';
import { TwoLevelCache } from '@app/cache';
import { TransactionRunner } from '@app/database';
import { AppError } from '@app/http';
import { AuthSessionService } from '../auth/auth-session.service';
import { User } from '../user/entities/user.entity';
import { UserError } from '../user/user.errors';
import { type AuditActor, AuditLogService } from './audit-log.service';

/** "138****0000": how admin lists show phone numbers. */
export function maskPhone(phone: string | null): string | null {
  if (!phone) return null;
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****';
}

export interface AdminUserView {
  id: number;
  nickname: string;
  avatarUrl: string;
  phone: string | null;
  role: string;
  disabled: boolean;
  createdAt: string;
}

const toView = (user: User): AdminUserView => ({
  id: user.id,
  nickname: user.nickname,
  avatarUrl: user.avatarUrl,
  phone: maskPhone(user.phone),
  role: user.role,
  disabled: user.disabled,
  createdAt: user.createdAt.toISOString(),
});

/** The dashboard's view of mini-program users. */
@Injectable()
export class AdminUsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditLogService,
    private readonly sessions: AuthSessionService,
    private readonly cache: TwoLevelCache,
  ) {}

  async list(query: { page: number; pageSize: number; search?: string; disabled?: boolean }) {
    const builder = this.users.createQueryBuilder('user').orderBy('user.id', 'DESC');
    if (query.disabled !== undefined) builder.andWhere('user.disabled = :disabled', { disabled: query.disabled });
    const search = query.search?.trim();
    if (search) {
      builder.andWhere(
        new Brackets((where) => {
          where.where('user.nickname LIKE :nickname', { nickname: `%${search.replace(/[\\%_]/g, '\\$&')}%` });
          // phones are searched by the full number or the last four digits an operator reads out
          if (/^\d{4}$/.test(search)) where.orWhere('user.phone LIKE :tail', { tail: `%${search}` });
          if (/^\+?\d{7,20}$/.test(search)) where.orWhere('user.phone = :phone', { phone: search });
        }),
      );
    }
    const [rows, total] = await builder
      .skip((query.page - 1) * query.pageSize)
      .take(query.pageSize)
      .getManyAndCount();
    return { items: rows.map(toView), total, page: query.page, pageSize: query.pageSize };
  }

  /**
   * Disables or re-enables a user: the change and its audit row in one transaction; a disabled
   * user's sessions end at once (their tokens stop working on the next request).
   */
  async setDisabled(actor: AuditActor, userId: number, disabled: boolean): Promise<AdminUserView> {
    const updated = await this.transactions.run(async (manager) => {
      // row lock on MySQL; SQLite serialises writers anyway and has no SELECT ... FOR UPDATE
      const lockable = manager.connection.driver.options.type !== 'better-sqlite3';
      const user = await manager.findOne(User, { where: { id: userId }, ...(lockable ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
      if (!user) throw new AppError(UserError.NotFound);
      if (user.disabled !== disabled) {
        await manager.update(User, { id: userId }, { disabled });
        await this.audit.record(manager, actor, {
          action: disabled ? 'user.disable' : 'user.enable',
          targetType: 'user',
          targetId: userId,
          before: { disabled: user.disabled },
          after: { disabled },
        });
        user.disabled = disabled;
      }
      return user;
    });
    if (disabled) await this.sessions.revokeAllFor('user', userId);
    await this.cache.invalidate(`user:profile:${userId}`);
    return toView(updated);
  }
}
