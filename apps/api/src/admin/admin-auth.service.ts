import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AppError, ipBucket } from '@app/http';
import { AuthError, AuthSessionService, type IssuedTokens } from '../auth';
import { AdminAccount } from './entities/admin-account.entity';
import { DEFAULT_LOGIN_ATTEMPT_POLICY, type LoginAttemptStore } from './login-attempts';
import { verifyPassword } from './password-hasher';

export const LOGIN_ATTEMPT_STORE = Symbol('LOGIN_ATTEMPT_STORE');

export interface AdminLoginResult extends IssuedTokens {
  admin: { id: number; username: string; role: string };
}

/** Dashboard sign-in: username + password (argon2id), locked after repeated failures. */
@Injectable()
export class AdminAuthService {
  private readonly logger = new Logger('AdminAuth');

  constructor(
    @InjectRepository(AdminAccount) private readonly accounts: Repository<AdminAccount>,
    @Inject(LOGIN_ATTEMPT_STORE) private readonly attempts: LoginAttemptStore,
    private readonly sessions: AuthSessionService,
  ) {}

  /**
   * One answer for an unknown username, a wrong password and a disabled account (2008), so the
   * endpoint does not reveal which accounts exist; 2009 with the wait once locked.
   */
  async login(username: string, password: string, ip: string): Promise<AdminLoginResult> {
    const accountKey = `account:${username.toLowerCase()}`;
    const ipKey = `ip:${ipBucket(ip)}`;
    const policy = DEFAULT_LOGIN_ATTEMPT_POLICY;
    // counted before the password is checked (login-attempts.ts): parallel guesses cannot all pass
    const lockedForMs = await this.attempts.begin(accountKey, ipKey, policy);
    if (lockedForMs > 0) {
      throw new AppError(AuthError.LoginLocked, { data: { retryAfterS: Math.ceil(lockedForMs / 1000) } });
    }

    const account = await this.accounts.findOne({ where: { username: username.toLowerCase() } });
    const valid = await verifyPassword(account?.passwordHash ?? null, password);
    if (!account || !valid || account.disabled) {
      this.logger.warn({ username, ip, known: Boolean(account) }, 'admin sign-in failed');
      throw new AppError(AuthError.InvalidCredentials);
    }
    await this.attempts.succeeded(accountKey, ipKey);
    await this.accounts.update({ id: account.id }, { lastLoginAt: new Date() });
    const tokens = await this.sessions.issue({ kind: 'admin', id: account.id, role: account.role });
    return { ...tokens, admin: { id: account.id, username: account.username, role: account.role } };
  }
}
