import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import type { JobBackend, QueueWorkerDefinition } from './job-backend';
import { JobRegistry } from './job-registry';
import { type JobRunObserver, runJob } from './job-runner';
import type { JobsConfig } from './jobs.config';
import { setQueueCountsSource } from './jobs.metrics';
import { JOB_BACKEND } from './jobs.service';

export const JOB_RUN_OBSERVER = Symbol('JOB_RUN_OBSERVER');

/**
 * Starts one worker per registered job type once every handler is known (APP_ROLE all or worker;
 * an api process only enqueues), and on shutdown stops taking jobs and gives the running ones
 * JOBS_SHUTDOWN_GRACE_MS. onModuleDestroy runs before Nest closes the HTTP server, the database
 * and Redis, so handlers finishing in the grace period still have all three.
 */
@Injectable()
export class JobWorkers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Jobs');
  private started = false;

  constructor(
    @Inject(JOB_BACKEND) private readonly backend: JobBackend,
    @Inject(JOB_RUN_OBSERVER) private readonly observer: JobRunObserver,
    private readonly registry: JobRegistry,
    private readonly config: ConfigService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const entries = this.registry.all();
    setQueueCountsSource(() =>
      Promise.all(entries.map(async ({ type }) => ({ queue: type.name, counts: await this.backend.counts(type.name) }))),
    );
    const role = this.config.getOrThrow<AppConfig>('app').role;
    if (role === 'api') {
      this.logger.log('APP_ROLE=api: jobs are enqueued here and run by the worker processes');
      return;
    }
    const definitions: QueueWorkerDefinition[] = entries.map((entry) => ({
      queue: entry.type.name,
      concurrency: entry.type.concurrency,
      process: (run) => runJob(entry, run, this.observer),
    }));
    await this.backend.startWorkers(definitions);
    this.started = true;
    this.logger.log({ queues: definitions.map((definition) => definition.queue), backend: this.backend.kind }, `job workers started (${role})`);
  }

  async onModuleDestroy(): Promise<void> {
    setQueueCountsSource(null);
    if (!this.started) return;
    const { shutdownGraceMs } = this.config.getOrThrow<JobsConfig>('jobs');
    const { unfinished } = await this.backend.stopWorkers(shutdownGraceMs);
    this.started = false;
    if (unfinished > 0) {
      this.logger.warn({ unfinished, shutdownGraceMs }, 'jobs still running at the end of the shutdown grace: left to be retried');
    } else {
      this.logger.log('job workers stopped');
    }
  }
}
