import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '@app/http';
import type { FailedJobAction, FailedJobRecord, JobBackend } from './job-backend';
import { JobRegistry } from './job-registry';
import { JobsError } from './jobs.errors';
import { JOB_BACKEND } from './jobs.service';

/** A job that failed for good, as the dashboard shows it. */
export interface DeadLetterView {
  /** `<type>:<job id>`: what the retry and delete routes take. */
  id: string;
  type: string;
  jobId: string;
  payload: unknown;
  attempts: number;
  reason: string;
  createdAt: string;
  failedAt: string;
}

export interface DeadLetterQuery {
  type?: string;
  page: number;
  pageSize: number;
}

export interface DeadLetterPage {
  items: DeadLetterView[];
  total: number;
  page: number;
  pageSize: number;
}

const view = (record: FailedJobRecord): DeadLetterView => ({
  id: `${record.queue}:${record.id}`,
  type: record.queue,
  jobId: record.id,
  payload: record.payload,
  attempts: record.attemptsMade,
  reason: record.failedReason,
  createdAt: new Date(record.createdAt).toISOString(),
  failedAt: new Date(record.failedAt).toISOString(),
});

/**
 * The dead-letter list: jobs that failed for good (attempts used up, or a permanent failure),
 * newest first, across every job type this build knows. Retry puts one back with all its
 * attempts; delete drops it. The admin feature wraps these in audited routes.
 */
@Injectable()
export class DeadLetters {
  constructor(
    @Inject(JOB_BACKEND) private readonly backend: JobBackend,
    private readonly registry: JobRegistry,
  ) {}

  async list(query: DeadLetterQuery): Promise<DeadLetterPage> {
    return this.reachQueue(() => this.listNow(query));
  }

  private async listNow(query: DeadLetterQuery): Promise<DeadLetterPage> {
    const start = (query.page - 1) * query.pageSize;
    const end = start + query.pageSize - 1;
    if (query.type !== undefined) {
      this.requireType(query.type);
      const [records, total] = await Promise.all([this.backend.listFailed(query.type, start, end), this.backend.failedCount(query.type)]);
      return { items: records.map(view), total, page: query.page, pageSize: query.pageSize };
    }
    // each queue's newest end+1, merged: the page is exact, and bounded by the page size times the page number
    const queues = this.registry.all().map((entry) => entry.type.name);
    const [lists, counts] = await Promise.all([
      Promise.all(queues.map((queue) => this.backend.listFailed(queue, 0, end))),
      Promise.all(queues.map((queue) => this.backend.failedCount(queue))),
    ]);
    const merged = lists.flat().sort((a, b) => b.failedAt - a.failedAt || a.queue.localeCompare(b.queue));
    return {
      items: merged.slice(start, end + 1).map(view),
      total: counts.reduce((sum, count) => sum + count, 0),
      page: query.page,
      pageSize: query.pageSize,
    };
  }

  /** The dead letter; 404 (7050) when there is no such job, 409 (7051) when it is not failed. */
  async get(id: string): Promise<DeadLetterView> {
    const { queue, jobId } = this.parse(id);
    const record = await this.reachQueue(() => this.backend.getFailed(queue, jobId));
    if (record === null) throw new AppError(JobsError.JobNotFound);
    if (record === 'not-failed') throw new AppError(JobsError.JobNotFailed);
    return view(record);
  }

  /** Puts the job back in its queue with all its attempts. 404 (7050) unknown, 409 (7051) not failed. */
  async retry(id: string): Promise<void> {
    const { queue, jobId } = this.parse(id);
    this.check(await this.reachQueue(() => this.backend.retryFailed(queue, jobId)));
  }

  async remove(id: string): Promise<void> {
    const { queue, jobId } = this.parse(id);
    this.check(await this.reachQueue(() => this.backend.removeFailed(queue, jobId)));
  }

  /** Redis down or slow: 503 (7053) rather than a 500 or a request that hangs. */
  private async reachQueue<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError(JobsError.QueueUnavailable, { cause: error });
    }
  }

  private parse(id: string): { queue: string; jobId: string } {
    const separator = id.indexOf(':');
    const queue = separator > 0 ? id.slice(0, separator) : '';
    // an id that names no known type cannot be a dead letter of this build
    if (!this.registry.get(queue) || separator === id.length - 1) throw new AppError(JobsError.JobNotFound);
    return { queue, jobId: id.slice(separator + 1) };
  }

  private requireType(type: string): void {
    if (!this.registry.get(type)) throw new AppError(JobsError.UnknownJobType, { data: { type } });
  }

  private check(action: FailedJobAction): void {
    if (action === 'not-found') throw new AppError(JobsError.JobNotFound);
    if (action === 'not-failed') throw new AppError(JobsError.JobNotFailed);
  }
}
