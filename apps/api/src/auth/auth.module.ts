import { randomBytes } from 'node:crypto';
import { Logger, Module, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule, JwtSecretRequestType } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RedisService } from '@app/redis';
import { UserModule, UsersService } from '../user';
import { AUTH_CONFIG, AuthSessionService, SESSION_STORE } from './auth-session.service';
import type { AuthConfig } from './auth.config';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthSession } from './entities/auth-session.entity';
import { JwtKeyRing } from './jwt-keys';
import { SessionLedger } from './session.ledger';
import { SessionPruner } from './session-pruner';
import { MemorySessionStore, RedisSessionStore, type SessionStore } from './session.store';
import { WechatLoginService } from './wechat-login.service';

/**
 * Sign-in and sessions for mini-program users (WeChat login) and admin accounts (the admin
 * feature signs them in and registers how to read them). Its global guard protects every route
 * that is not @Public(). Import it before RateLimitModule:
 * global guards run in registration order, and the limiter keys on the signed-in principal.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([AuthSession]),
    UserModule,
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (configService: ConfigService) => {
        const config = configService.getOrThrow<AuthConfig>('auth');
        if (!config.jwtSecret) {
          new Logger('Auth').warn(
            'AUTH_JWT_SECRET is not set (embedded profile): access tokens use a random key and end when the process restarts ' +
              '(refresh tokens keep working: sessions are in the database)',
          );
        }
        // sign with the current key (kid), verify with the key a token names: rotation signs nobody out
        const keys = new JwtKeyRing(
          config.jwtSecret ? Buffer.from(config.jwtSecret, 'utf8') : randomBytes(32),
          config.jwtPreviousSecret ? Buffer.from(config.jwtPreviousSecret, 'utf8') : null,
        );
        return {
          // KeyObjects (jwt-keys.ts); jsonwebtoken takes them, @nestjs/jwt's types say string
          secretOrKeyProvider: (requestType: JwtSecretRequestType, token: unknown) =>
            (requestType === JwtSecretRequestType.SIGN ? keys.signingKey : keys.verificationKeyFor(String(token))) as unknown as string,
          signOptions: { algorithm: 'HS256', keyid: keys.currentKeyId },
          verifyOptions: { algorithms: ['HS256'] },
        };
      },
    }),
  ],
  controllers: [AuthController],
  providers: [
    { provide: AUTH_CONFIG, inject: [ConfigService], useFactory: (config: ConfigService) => config.getOrThrow<AuthConfig>('auth') },
    {
      provide: SESSION_STORE,
      inject: [RedisService, AUTH_CONFIG],
      useFactory: (redis: RedisService, config: AuthConfig) =>
        redis.storeFor<SessionStore>((client) => new RedisSessionStore(client, config.keyPrefix, redis), () => new MemorySessionStore()),
    },
    SessionLedger,
    SessionPruner,
    AuthSessionService,
    WechatLoginService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AuthSessionService],
})
export class AuthModule implements OnModuleInit {
  constructor(
    private readonly sessions: AuthSessionService,
    private readonly users: UsersService,
  ) {}

  // refresh reads the account again: mini-program users live in the user feature
  onModuleInit(): void {
    this.sessions.registerAccountLookup('user', (id) => this.users.standing(id));
  }
}
