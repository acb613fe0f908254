import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { MixedList } from 'typeorm';
import { DatabaseConfig } from './database.config';
import { TransactionRunner } from './transaction-runner';
import { buildDataSourceOptions } from './typeorm-options';

export interface DatabaseModuleOptions {
  /** The app's migrations, in order; libs never import from apps, so the app hands them in. */
  migrations: MixedList<new () => unknown>;
}

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (configService: ConfigService) => {
            const config = configService.getOrThrow<DatabaseConfig>('database');
            return {
              ...buildDataSourceOptions(config, {
                migrations: options.migrations,
                migrationsRun: config.migrateOnStart,
              }),
              autoLoadEntities: true,
              retryAttempts: config.type === 'mysql' ? config.connectRetries : 0,
              retryDelay: 1000,
            };
          },
        }),
      ],
      providers: [TransactionRunner],
      exports: [TransactionRunner],
    };
  }
}
