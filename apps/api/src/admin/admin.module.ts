import { Module, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RedisService } from '@app/redis';
import { type AuthConfig, AuthModule, AuthSessionService } from '../auth';
import { UserModule } from '../user';
import { AdminAuthService, LOGIN_ATTEMPT_STORE } from './admin-auth.service';
import { AdminAuthController, AdminController } from './admin.controller';
import { AdminAccountsController } from './admin-accounts.controller';
import { AdminAccountsService } from './admin-accounts.service';
import { AdminJobsController } from './admin-jobs.controller';
import { AdminJobsService } from './admin-jobs.service';
import { AdminUsersService } from './admin-users.service';
import { AuditActors } from './audit-actors';
import { AuditLogService } from './audit-log.service';
import { AdminAccount } from './entities/admin-account.entity';
import { AuditLog } from './entities/audit-log.entity';
import { type LoginAttemptStore, MemoryLoginAttemptStore, RedisLoginAttemptStore } from './login-attempts';

/** The dashboard: admin accounts and sign-in, account and user management, the dead-letter list of jobs, the audit log. */
@Module({
  imports: [TypeOrmModule.forFeature([AdminAccount, AuditLog]), AuthModule, UserModule],
  controllers: [AdminAuthController, AdminController, AdminAccountsController, AdminJobsController],
  providers: [
    AdminAuthService,
    AdminAccountsService,
    AdminUsersService,
    AuditLogService,
    AuditActors,
    AdminJobsService,
    {
      provide: LOGIN_ATTEMPT_STORE,
      inject: [RedisService, ConfigService],
      useFactory: (redis: RedisService, config: ConfigService) =>
        redis.storeFor<LoginAttemptStore>(
          (client) => new RedisLoginAttemptStore(client, `${config.getOrThrow<AuthConfig>('auth').keyPrefix}login-fail:`),
          () => new MemoryLoginAttemptStore(),
        ),
    },
  ],
  // other features audit their dashboard writes with the same trail (the catalogue, orders)
  exports: [AuditLogService, AuditActors],
})
export class AdminModule implements OnModuleInit {
  constructor(
    private readonly sessions: AuthSessionService,
    private readonly accounts: AdminAccountsService,
  ) {}

  // refresh reads the account again: disabled or demoted admins lose their sessions there
  onModuleInit(): void {
    this.sessions.registerAccountLookup('admin', (id) => this.accounts.standing(id));
  }
}
