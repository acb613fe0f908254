import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, loadDatabaseConfig, TransactionRunner } from '@app/database';
import { migrations } from '../migrations';
import { AuthSession } from './entities/auth-session.entity';
import { SessionLedger } from './session.ledger';
import { SESSION_RETENTION_MS, SessionPruner } from './session-pruner';

let directory: string;
let dataSource: DataSource;
let ledger: SessionLedger;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'session-pruner-spec-'));
  dataSource = await new DataSource({
    ...buildDataSourceOptions(loadDatabaseConfig({ DATA_DIR: directory }), { entities: [AuthSession], migrations, migrationsRun: true }),
    logging: false,
  }).initialize();
  ledger = new SessionLedger(dataSource.getRepository(AuthSession), new TransactionRunner(dataSource));
});

afterAll(async () => {
  await dataSource?.destroy();
  rmSync(directory, { recursive: true, force: true });
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
    const left = await dataSource.getRepository(AuthSession).find({ select: { id: true } });
    expect(left.map((row) => row.id).sort()).toEqual([justExpired, live].sort());
  });
});
