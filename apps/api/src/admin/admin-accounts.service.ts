import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import { isUniqueViolation, TransactionRunner } from '@app/database';
import { AppError, type Principal } from '@app/http';
import { type AccountStanding, AuthError, AuthSessionService } from '../auth';
import { AdminError } from './admin.errors';
import { checkPageDepth } from './admin-paging';
import { type AuditActor, AuditLogService } from './audit-log.service';
import { AdminAccount, type AdminRole } from './entities/admin-account.entity';
import { hashPassword, verifyPassword } from './password-hasher';

export interface AdminAccountView {
  id: number;
  username: string;
  role: AdminRole;
  disabled: boolean;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface AdminAccountPage {
  items: AdminAccountView[];
  total: number;
  page: number;
  pageSize: number;
}

export interface NewAdminAccount {
  username: string;
  password: string;
  role: AdminRole;
}

export interface AdminAccountChange {
  role?: AdminRole;
  disabled?: boolean;
}

const toView = (account: AdminAccount): AdminAccountView => ({
  id: account.id,
  username: account.username,
  role: account.role,
  disabled: account.disabled,
  lastLoginAt: account.lastLoginAt ? account.lastLoginAt.toISOString() : null,
  createdAt: account.createdAt.toISOString(),
});

const isActiveAdmin = (account: Pick<AdminAccount, 'role' | 'disabled'>): boolean => account.role === 'admin' && !account.disabled;

// row locks on MariaDB; SQLite serialises writers anyway and has no SELECT ... FOR UPDATE
const lockFor = (manager: EntityManager) =>
  manager.connection.driver.options.type === 'better-sqlite3' ? {} : { lock: { mode: 'pessimistic_write' as const } };

/**
 * Dashboard accounts: who may sign in to the dashboard and with which role. Every change and its
 * audit row share one transaction; a change that lowers an account's access ends its sessions at
 * once, and no change may leave the dashboard without an enabled admin.
 */
@Injectable()
export class AdminAccountsService {
  constructor(
    @InjectRepository(AdminAccount) private readonly accounts: Repository<AdminAccount>,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditLogService,
    private readonly sessions: AuthSessionService,
  ) {}

  /** What every refresh of an admin session checks (plain SQL, as the user feature's standing()). */
  async standing(id: number): Promise<AccountStanding | null> {
    const rows: { role: AdminRole; disabled: number | boolean }[] = await this.accounts.query('SELECT role, disabled FROM admin_accounts WHERE id = ?', [id]);
    return rows[0] ? { role: rows[0].role, disabled: Boolean(rows[0].disabled) } : null;
  }

  async list(query: { page: number; pageSize: number }): Promise<AdminAccountPage> {
    checkPageDepth(query);
    const [rows, total] = await this.accounts.findAndCount({
      order: { id: 'ASC' },
      skip: (query.page - 1) * query.pageSize,
      take: query.pageSize,
    });
    return { items: rows.map(toView), total, page: query.page, pageSize: query.pageSize };
  }

  async create(actor: AuditActor, input: NewAdminAccount): Promise<AdminAccountView> {
    const username = input.username.toLowerCase();
    // hashed before the transaction: ~20 ms of argon2 should not hold it open
    const passwordHash = await hashPassword(input.password);
    try {
      const created = await this.transactions.run(async (manager) => {
        const { identifiers } = await manager.insert(AdminAccount, { username, passwordHash, role: input.role, disabled: false });
        const id = Number(identifiers[0].id);
        await this.audit.record(manager, actor, {
          action: 'admin_account.create',
          targetType: 'admin_account',
          targetId: id,
          before: null,
          after: { username, role: input.role, disabled: false },
        });
        return manager.findOneByOrFail(AdminAccount, { id });
      });
      return toView(created);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError(AdminError.UsernameTaken);
      throw error;
    }
  }

  /**
   * Changes an account's role and/or disabled flag. Disabling or demoting ends its sessions at
   * once (its tokens die on their next request); promoting or enabling leaves them be (a session
   * takes the new role at its next refresh). The enabled admins are locked first, in one order,
   * so two admins demoting each other at once cannot both pass the last-admin check.
   */
  async update(actor: AuditActor, id: number, change: AdminAccountChange): Promise<AdminAccountView> {
    const { account, lowered } = await this.transactions.run(async (manager) => {
      const activeAdmins = await manager.find(AdminAccount, { select: { id: true }, where: { role: 'admin', disabled: false }, order: { id: 'ASC' }, ...lockFor(manager) });
      const found = await manager.findOne(AdminAccount, { where: { id }, ...lockFor(manager) });
      if (!found) throw new AppError(AdminError.AccountNotFound);
      const before = { role: found.role, disabled: found.disabled };
      const after = { role: change.role ?? found.role, disabled: change.disabled ?? found.disabled };
      if (after.role === before.role && after.disabled === before.disabled) return { account: found, lowered: false };
      if (isActiveAdmin(before) && !isActiveAdmin(after) && activeAdmins.every((admin) => admin.id === id)) {
        throw new AppError(AdminError.LastActiveAdmin);
      }
      await manager.update(AdminAccount, { id }, after);
      await this.audit.record(manager, actor, { action: 'admin_account.update', targetType: 'admin_account', targetId: id, before, after });
      return {
        account: Object.assign(found, after),
        lowered: (after.disabled && !before.disabled) || (before.role === 'admin' && after.role !== 'admin'),
      };
    });
    if (lowered) await this.sessions.revokeAllFor('admin', id);
    return toView(account);
  }

  /**
   * Changes the caller's own password: the current one is required (a stolen access token alone
   * cannot take the account over). Every other session of the account ends; this one goes on.
   * The update is conditional on the hash just verified, so of two changes racing with the same
   * current password one wins and the other is told the current password is wrong.
   */
  async changeOwnPassword(actor: AuditActor, principal: Principal, currentPassword: string, newPassword: string): Promise<{ endedSessions: number }> {
    const account = await this.accounts.findOne({ where: { id: principal.id } });
    if (!account) throw new AppError(AuthError.SessionEnded);
    if (!(await verifyPassword(account.passwordHash, currentPassword))) throw new AppError(AdminError.WrongCurrentPassword);
    const passwordHash = await hashPassword(newPassword);
    await this.transactions.run(async (manager) => {
      const { affected } = await manager.update(AdminAccount, { id: account.id, passwordHash: account.passwordHash }, { passwordHash });
      if (!affected) throw new AppError(AdminError.WrongCurrentPassword);
      await this.audit.record(manager, actor, {
        action: 'admin_account.password_change',
        targetType: 'admin_account',
        targetId: account.id,
        before: null,
        after: null,
      });
    });
    return { endedSessions: await this.sessions.revokeAllFor('admin', account.id, { keep: principal.sessionId }) };
  }
}
