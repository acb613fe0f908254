import { randomUUID } from 'node:crypto';
import { newTestService, useTestDataSource } from '@app/testing';
import { migrations } from '../migrations';
import { AuthSession } from './entities/auth-session.entity';
import { SessionLedger } from './session.ledger';
import { SESSION_RETENTION_MS, SessionPruner } from './session-pruner';

const db = useTestDataSource({ entities: [AuthSession], migrations });
let ledger: SessionLedger;

beforeAll(() => {
  ledger = newTestService(SessionLedger, { dataSource: db.dataSource }).sut;
});

async function sessionExpiringAt(expiresAt: Date): Promise<string> {
  const id = randomUUID();
  await ledger.create({
    id,
    subjectKind: 'user',
    subjectId: 1,
    role: 'user',
    refreshHash: 'h',
    ip: null,
    userAgent: null,
    createdAt: new Date(expiresAt.getTime() - 86_400_000),
    expiresAt,
    absoluteExpiresAt: expiresAt,
  });
  return id;
}

describe('SessionPruner', () => {
  it('deletes rows a week after they expired, in batches, and keeps everything younger', async () => {
    const now = Date.now();
    const old = [];
    for (let i = 0; i < 1_203; i += 1) old.push(await sessionExpiringAt(new Date(now - SESSION_RETENTION_MS - 60_000 - i)));
    const justExpired = await sessionExpiringAt(new Date(now - SESSION_RETENTION_MS + 60_000));
    const live = await sessionExpiringAt(new Date(now + 86_400_000));

    expect(await new SessionPruner(ledger).pruneExpired(now)).toBe(1_203);
    const left = await db.dataSource.getRepository(AuthSession).find({ select: { id: true } });
    expect(left.map((row) => row.id).sort()).toEqual([justExpired, live].sort());
  });
});
