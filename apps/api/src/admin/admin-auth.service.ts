import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { TransactionRunner } from '@app/database';
import { AppError, ipBucket } from '@app/http';
import { AuthError, AuthSessionService, type IssuedTokens } from '../auth';
import type { RequestOrigin } from './audit-actors';
import { type AuditActor, AuditLogService } from './audit-log.service';
import { AdminAccount } from './entities/admin-account.entity';
import { DEFAULT_LOGIN_ATTEMPT_POLICY, type LoginAttemptStore } from './login-attempts';
import { verifyPassword } from './password-hasher';

export const LOGIN_ATTEMPT_STORE = Symbol('LOGIN_ATTEMPT_STORE');

export interface AdminLoginResult extends IssuedTokens {
  admin: { id: number; username: string; role: string };
}

type FailureReason = 'unknown_account' | 'wrong_password' | 'disabled';

/**
 * Dashboard sign-in: username + password (argon2id), locked after repeated failures. Every
 * outcome is an audit row: `admin.login`, `admin.login_failed` (with why), `admin.login_locked`.
 */
@Injectable()
export class AdminAuthService {
  private readonly logger = new Logger('AdminAuth');

  constructor(
    @InjectRepository(AdminAccount) private readonly accounts: Repository<AdminAccount>,
    @Inject(LOGIN_ATTEMPT_STORE) private readonly attempts: LoginAttemptStore,
    private readonly sessions: AuthSessionService,
    private readonly audit: AuditLogService,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * One answer for an unknown username, a wrong password and a disabled account (2008), so the
   * endpoint does not reveal which accounts exist; 2009 with the wait once locked.
   */
  async login(username: string, password: string, origin: RequestOrigin): Promise<AdminLoginResult> {
    const accountKey = `account:${username.toLowerCase()}`;
    const ipKey = `ip:${ipBucket(origin.ip)}`;
    const policy = DEFAULT_LOGIN_ATTEMPT_POLICY;
    // counted before the password is checked (login-attempts.ts): parallel guesses cannot all pass
    const lockedForMs = await this.attempts.begin(accountKey, ipKey, policy);
    if (lockedForMs > 0) {
      const retryAfterS = Math.ceil(lockedForMs / 1000);
      const known = await this.accounts.findOne({ select: { id: true, username: true }, where: { username: username.toLowerCase() } });
      await this.record(known, origin, 'admin.login_locked', { retryAfterS });
      throw new AppError(AuthError.LoginLocked, { data: { retryAfterS } });
    }

    const account = await this.accounts.findOne({ where: { username: username.toLowerCase() } });
    const valid = await verifyPassword(account?.passwordHash ?? null, password);
    if (!account || !valid || account.disabled) {
      const reason: FailureReason = !account ? 'unknown_account' : !valid ? 'wrong_password' : 'disabled';
      await this.record(account, origin, 'admin.login_failed', { reason });
      this.logger.warn({ username, ip: origin.ip, known: Boolean(account) }, 'admin sign-in failed');
      throw new AppError(AuthError.InvalidCredentials);
    }
    await this.attempts.succeeded(accountKey, ipKey);
    // audited once the password is verified: a session that then cannot be issued (503) leaves
    // this row and the request's 503 log line, both under the request id
    await this.transactions.run(async (manager) => {
      await manager.update(AdminAccount, { id: account.id }, { lastLoginAt: new Date() });
      await this.audit.record(manager, this.actorOf(account, origin), {
        action: 'admin.login',
        targetType: 'admin_account',
        targetId: account.id,
        before: null,
        after: { role: account.role },
      });
    });
    const tokens = await this.sessions.issue({ kind: 'admin', id: account.id, role: account.role }, { ip: origin.ip, userAgent: origin.userAgent });
    return { ...tokens, admin: { id: account.id, username: account.username, role: account.role } };
  }

  private async record(
    account: Pick<AdminAccount, 'id' | 'username'> | null,
    origin: RequestOrigin,
    action: 'admin.login_failed' | 'admin.login_locked',
    after: Record<string, unknown>,
  ): Promise<void> {
    await this.transactions.run((manager) =>
      this.audit.record(manager, this.actorOf(account, origin), {
        action,
        targetType: 'admin_account',
        targetId: account?.id ?? 0,
        before: null,
        after,
      }),
    );
  }

  // an unknown username is not stored: people type passwords into the username field, and
  // operators read the audit log
  private actorOf(account: Pick<AdminAccount, 'id' | 'username'> | null, origin: RequestOrigin): AuditActor {
    return {
      id: account?.id ?? 0,
      username: account?.username ?? '(unknown)',
      ip: origin.ip,
      requestId: origin.requestId,
      clientRequestId: origin.clientRequestId,
    };
  }
}
