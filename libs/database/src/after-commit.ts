import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';

/** Work to run once the data is committed: it must not throw (failures are logged and dropped). */
export type AfterCommitWork = () => Promise<void>;

const PENDING = 'database:afterCommit';
const logger = new Logger('AfterCommit');

/** Runs a transaction's registered work after its outermost COMMIT; drops it on ROLLBACK. */
class AfterCommitRunner implements EntitySubscriberInterface {
  async afterTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    // a savepoint released inside a longer transaction: nothing is committed yet
    if (event.queryRunner.isTransactionActive) return;
    for (const work of take(event.queryRunner)) {
      try {
        await work();
      } catch (error) {
        // the rows are committed whatever happens here: never fail the commit's caller (it would retry)
        logger.warn({ error: String(error) }, 'work after a commit failed');
      }
    }
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    // the whole transaction is gone (a retry registers its work again); a savepoint rollback keeps it
    if (!event.queryRunner.isTransactionActive) take(event.queryRunner);
  }
}

const runners = new WeakMap<DataSource, AfterCommitRunner>();

function take(queryRunner: QueryRunner): AfterCommitWork[] {
  const data = queryRunner.data as Record<string, unknown>;
  const pending = (data[PENDING] as AfterCommitWork[] | undefined) ?? [];
  delete data[PENDING];
  return pending;
}

/**
 * Runs `work` once the transaction `manager` belongs to has committed, before the commit returns
 * to its caller (so before the request that committed answers); never when it rolls back. For
 * effects that must not be seen before the data: dropping a cache entry (dropped before the
 * commit, a reader in between would store the old rows again). Failures are logged, not thrown.
 */
export function afterCommit(manager: EntityManager, work: AfterCommitWork): void {
  const queryRunner = manager.queryRunner;
  if (!queryRunner?.isTransactionActive) throw new Error('afterCommit() needs the manager of an open transaction');
  const dataSource = manager.connection;
  if (!runners.has(dataSource)) {
    const runner = new AfterCommitRunner();
    runners.set(dataSource, runner);
    dataSource.subscribers.push(runner);
  }
  const data = queryRunner.data as Record<string, unknown>;
  data[PENDING] = [...((data[PENDING] as AfterCommitWork[] | undefined) ?? []), work];
}
