import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DiscoveryModule } from '@nestjs/core';
import { Redis } from 'ioredis';
import { redactUrl, type RedisConfig, RedisService } from '@app/redis';
import { BullJobBackend } from './bull-job-backend';
import { InProcessJobBackend } from './in-process-job-backend';
import type { JobBackend } from './job-backend';
import { JobRegistry } from './job-registry';
import { JOB_RUN_OBSERVER, JobWorkers } from './job-workers';
import type { JobsConfig } from './jobs.config';
import { JobsExplorer } from './jobs.explorer';
import { jobsMetrics } from './jobs.metrics';
import { DeadLetters } from './dead-letters';
import { JOB_BACKEND, Jobs } from './jobs.service';

function connect(config: RedisConfig, name: string, options: { failFast: boolean }): Redis {
  const client = new Redis(config.url as string, {
    connectionName: `wxmp-api:${name}`,
    connectTimeout: config.connectTimeoutMs,
    // the producer answers HTTP requests: fail fast like every other command here (RedisService);
    // workers may wait for Redis to come back, and BullMQ requires that of them
    ...(options.failFast
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: config.commandTimeoutMs }
      : { maxRetriesPerRequest: null }),
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
  });
  // ioredis reports every reconnect attempt as an error: once per outage is enough (as RedisService does)
  const logger = new Logger('Jobs');
  let down = false;
  client.on('error', (error: Error) => {
    if (!down) logger.warn({ err: error.message, connection: name }, 'Redis connection error (job queues)');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.log({ connection: name }, 'Redis connection restored (job queues)');
    down = false;
  });
  return client;
}

async function ready(client: Redis, config: RedisConfig): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`Redis at ${redactUrl(config.url)} did not answer within ${config.connectTimeoutMs} ms (job queues)`));
    }, config.connectTimeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

async function bullBackend(redis: RedisConfig, jobs: JobsConfig): Promise<JobBackend> {
  const producer = connect(redis, 'jobs-producer', { failFast: true });
  const worker = connect(redis, 'jobs-worker', { failFast: false });
  try {
    await Promise.all([ready(producer, redis), ready(worker, redis)]);
  } catch (error) {
    producer.disconnect();
    worker.disconnect();
    throw error;
  }
  return new BullJobBackend({ producer, worker, prefix: jobs.prefix, commandTimeoutMs: redis.commandTimeoutMs, lockMs: jobs.lockMs, scheduleKeepMs: jobs.scheduleKeepMs });
}

/**
 * The job queue: BullMQ on Redis in the production profile, in process in the embedded one
 * (chosen by RedisService.storeFor). Global: any feature injects `Jobs` to enqueue and marks
 * handlers with @JobHandler; the admin feature injects `DeadLetters`.
 */
@Global()
@Module({})
export class JobsModule {
  static forRoot(): DynamicModule {
    return {
      module: JobsModule,
      imports: [DiscoveryModule],
      providers: [
        {
          provide: JOB_BACKEND,
          inject: [RedisService, ConfigService],
          useFactory: (redis: RedisService, config: ConfigService): Promise<JobBackend> =>
            redis.storeFor<Promise<JobBackend>>(
              () => bullBackend(config.getOrThrow<RedisConfig>('redis'), config.getOrThrow<JobsConfig>('jobs')),
              async () => new InProcessJobBackend(),
            ),
        },
        { provide: JOB_RUN_OBSERVER, useFactory: jobsMetrics },
        JobRegistry,
        JobsExplorer,
        JobWorkers,
        Jobs,
        DeadLetters,
      ],
      exports: [Jobs, DeadLetters, JobRegistry],
    };
  }
}
