import { DynamicModule, Global, InjectionToken, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { MixedList } from 'typeorm';
import type { ConnectionGate } from './bounded-pool';
import { DatabaseConfig } from './database.config';
import { DatabasePoolMetrics } from './database.metrics';
import { TransactionRunner } from './transaction-runner';
import { buildDataSourceOptions } from './typeorm-options';

export interface DatabaseModuleOptions {
  /** The app's migrations, in order; libs never import from apps, so the app hands them in. */
  migrations: MixedList<new () => unknown>;
  /**
   * MySQL/MariaDB: the gate that lets callers wait for a connection or fails them at once (the
   * composition root passes the 'database' circuit breaker), built from the providers in `inject`.
   */
  connectionGate?: {
    inject: InjectionToken[];
    // method syntax: a factory taking the injected providers' own types fits (Nest passes them in inject's order)
    useFactory(...providers: unknown[]): ConnectionGate;
  };
}

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [ConfigService, ...(options.connectionGate?.inject ?? [])],
          useFactory: (configService: ConfigService, ...gateProviders: unknown[]) => {
            const config = configService.getOrThrow<DatabaseConfig>('database');
            const connectionGate = config.type === 'mysql' ? options.connectionGate?.useFactory(...gateProviders) : undefined;
            return {
              ...buildDataSourceOptions(config, {
                migrations: options.migrations,
                migrationsRun: config.migrateOnStart,
                connectionGate,
              }),
              autoLoadEntities: true,
              retryAttempts: config.type === 'mysql' ? config.connectRetries : 0,
              retryDelay: 1000,
            };
          },
        }),
      ],
      providers: [TransactionRunner, DatabasePoolMetrics],
      exports: [TransactionRunner],
    };
  }
}
