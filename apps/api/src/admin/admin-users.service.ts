import { Injectable } from '@nestjs/common';
import { AuthSessionService } from '../auth';
import { type UserAccount, type UserSearch, UsersService } from '../user';
import { checkPageDepth } from './admin-paging';
import { type AuditActor, AuditLogService } from './audit-log.service';

/** "138****0000": how admin lists show phone numbers. */
export function maskPhone(phone: string | null): string | null {
  if (!phone) return null;
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****';
}

export type AdminUserView = UserAccount;

const toView = (user: UserAccount): AdminUserView => ({ ...user, phone: maskPhone(user.phone) });

/** The dashboard's view of mini-program users: the user feature owns the rows, this adds masking, audit and sessions. */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: UsersService,
    private readonly audit: AuditLogService,
    private readonly sessions: AuthSessionService,
  ) {}

  async list(query: UserSearch) {
    checkPageDepth(query);
    const page = await this.users.search(query);
    return { ...page, items: page.items.map(toView) };
  }

  /**
   * Disables or re-enables a user: the change and its audit row in one transaction; a disabled
   * user's sessions end at once (their tokens stop working on the next request).
   */
  async setDisabled(actor: AuditActor, userId: number, disabled: boolean): Promise<AdminUserView> {
    const updated = await this.users.setDisabled(userId, disabled, (manager, change) =>
      this.audit.record(manager, actor, {
        action: disabled ? 'user.disable' : 'user.enable',
        targetType: 'user',
        targetId: userId,
        before: change.before,
        after: change.after,
      }),
    );
    if (disabled) await this.sessions.revokeAllFor('user', userId);
    return toView(updated);
  }
}
