import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '@app/database';
import { DeadLetters, type DeadLetterPage, type DeadLetterQuery, type DeadLetterView } from '@app/jobs';
import { checkPageDepth } from './admin-paging';
import { type AuditActor, AuditLogService } from './audit-log.service';

const auditedFields = (job: DeadLetterView) => ({ type: job.type, attempts: job.attempts, reason: job.reason.slice(0, 200), failedAt: job.failedAt });

/**
 * The dashboard's dead-letter list: jobs that failed for good. Retry and delete act on the queue
 * (Redis) inside the transaction of their audit row: if the action fails, no audit row; if the
 * audit row cannot be written, the action has still happened (the error says so to the admin).
 */
@Injectable()
export class AdminJobsService {
  constructor(
    private readonly deadLetters: DeadLetters,
    private readonly audit: AuditLogService,
    private readonly transactions: TransactionRunner,
  ) {}

  list(query: DeadLetterQuery): Promise<DeadLetterPage> {
    checkPageDepth(query);
    return this.deadLetters.list(query);
  }

  async retry(actor: AuditActor, id: string): Promise<{ id: string; state: 'waiting' }> {
    const job = await this.deadLetters.get(id);
    await this.transactions.run(
      async (manager) => {
        await this.deadLetters.retry(id);
        await this.audit.record(manager, actor, {
          action: 'job.retry',
          targetType: 'job',
          targetId: job.jobId,
          before: { state: 'failed', ...auditedFields(job) },
          after: { state: 'waiting', type: job.type },
        });
      },
      // a second run would find the job no longer failed
      { retries: 0 },
    );
    return { id, state: 'waiting' };
  }

  async remove(actor: AuditActor, id: string): Promise<void> {
    const job = await this.deadLetters.get(id);
    await this.transactions.run(
      async (manager) => {
        await this.deadLetters.remove(id);
        await this.audit.record(manager, actor, {
          action: 'job.delete',
          targetType: 'job',
          targetId: job.jobId,
          before: { state: 'failed', ...auditedFields(job), payload: job.payload },
          after: null,
        });
      },
      { retries: 0 },
    );
  }
}
