import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, loadDatabaseConfig, TransactionRunner } from '@app/database';
import { migrations } from '../apps/api/src/migrations';
import { AdminAccount } from '../apps/api/src/admin/entities/admin-account.entity';
import { AuditLog } from '../apps/api/src/admin/entities/audit-log.entity';
import { AuthSession } from '../apps/api/src/auth/entities/auth-session.entity';
import { Product } from '../apps/api/src/catalogue/entities/product.entity';
import { Sku } from '../apps/api/src/catalogue/entities/sku.entity';
import { OrderEvent } from '../apps/api/src/order/entities/order-event.entity';
import { OrderItem } from '../apps/api/src/order/entities/order-item.entity';
import { OrderRefund } from '../apps/api/src/order/entities/order-refund.entity';
import { Order } from '../apps/api/src/order/entities/order.entity';
import { StoredFile } from '../apps/api/src/upload/entities/stored-file.entity';
import { User } from '../apps/api/src/user/entities/user.entity';
import { HandledEvent } from '../libs/events/src/entities/handled-event.entity';
import { OutboxEvent } from '../libs/events/src/entities/outbox-event.entity';
import { BUILT_MIGRATE_CLI } from './support/child-app';
import { productionEnv } from './support/environment';
import { useTestDatabase } from './support/test-database';

// every entity the API registers: the schema checks below compare all of them with the migrations
const ALL_ENTITIES = [User, AuthSession, AdminAccount, AuditLog, OutboxEvent, HandledEvent, Product, Sku, Order, OrderItem, OrderEvent, OrderRefund, StoredFile];

function mysqlDataSource(databaseName: string, migrationsRun: boolean): DataSource {
  const config = loadDatabaseConfig(productionEnv(databaseName) as NodeJS.ProcessEnv);
  return new DataSource(buildDataSourceOptions(config, { entities: ALL_ENTITIES, migrations, migrationsRun }));
}

describe('database layer on real MariaDB', () => {
  const db = useTestDatabase();
  let dataSource: DataSource;
  let transactions: TransactionRunner;

  beforeAll(async () => {
    dataSource = await mysqlDataSource(db.name, true).initialize();
    transactions = new TransactionRunner(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  const newUser = (openid: string, nickname = ''): Partial<User> => ({ openid, nickname });

  it('migrations and entities describe the same schema (nothing left to generate)', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('makes the database and its tables utf8mb4', async () => {
    const [schema] = await dataSource.query(
      'SELECT DEFAULT_CHARACTER_SET_NAME AS charset FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [db.name],
    );
    expect(schema.charset).toBe('utf8mb4');
    const [table] = await dataSource.query(
      'SELECT TABLE_COLLATION AS collation FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [db.name, 'users'],
    );
    expect(table.collation).toMatch(/^utf8mb4_/);
  });

  it('round-trips Chinese names and emoji (4-byte characters)', async () => {
    const nickname = '张三🎉𠮷😀';
    const saved = await dataSource.getRepository(User).save(newUser('openid-utf8', nickname));
    const loaded = await dataSource.getRepository(User).findOneByOrFail({ id: saved.id });
    expect(loaded.nickname).toBe(nickname);
  });

  it('rolls back every write of a failed unit of work', async () => {
    await expect(
      transactions.run(async (manager) => {
        await manager.getRepository(User).save(newUser('openid-rollback-1'));
        await manager.getRepository(User).save(newUser('openid-rollback-2'));
        throw new Error('business rule failed after two writes');
      }),
    ).rejects.toThrow('business rule failed');
    const count = await dataSource
      .getRepository(User)
      .createQueryBuilder('user')
      .where('user.openid LIKE :prefix', { prefix: 'openid-rollback-%' })
      .getCount();
    expect(count).toBe(0);
  });

  it('re-runs a deadlock victim so both transactions commit', async () => {
    const repository = dataSource.getRepository(User);
    const first = await repository.save(newUser('openid-deadlock-a', 'a'));
    const second = await repository.save(newUser('openid-deadlock-b', 'b'));
    let attempts = 0;
    let bothHoldFirstLock: () => void = () => undefined;
    let firstLocks = 0;
    const barrier = new Promise<void>((resolve) => (bothHoldFirstLock = resolve));

    // Each transaction locks one row, waits until the other holds its row, then asks for
    // the other's row: InnoDB must kill one of them, and the runner must re-run it.
    const lockInOrder = (a: number, b: number, label: string) =>
      transactions.run(
        async (manager) => {
          attempts += 1;
          await manager.query('UPDATE users SET nickname = ? WHERE id = ?', [label, a]);
          firstLocks += 1;
          if (firstLocks === 2) bothHoldFirstLock();
          await Promise.race([barrier, new Promise((resolve) => setTimeout(resolve, 2000))]);
          await manager.query('UPDATE users SET nickname = ? WHERE id = ?', [label, b]);
          return label;
        },
        { retries: 3 },
      );

    const results = await Promise.all([
      lockInOrder(first.id, second.id, 'left'),
      lockInOrder(second.id, first.id, 'right'),
    ]);
    expect(results.sort()).toEqual(['left', 'right']);
    expect(attempts).toBeGreaterThanOrEqual(3);
  });
});

describe('migration CLI (built) against a fresh MariaDB database', () => {
  const db = useTestDatabase();

  const migrate = (command: string) =>
    spawnSync(process.execPath, [BUILT_MIGRATE_CLI, command], {
      env: { PATH: process.env.PATH, ...productionEnv(db.name, { DB_MIGRATE_ON_START: undefined }) },
      encoding: 'utf8',
    });

  it('reports pending migrations, applies them, then reports the schema up to date', () => {
    const before = migrate('show');
    expect(before.status).toBe(1);
    expect(before.stdout).toContain('pending');

    const run = migrate('run');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('InitUsers');

    const after = migrate('show');
    expect(after.status).toBe(0);
    expect(after.stdout).toContain('up to date');
  });
});

describe('database layer on the embedded SQLite file', () => {
  let directory: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'wxmp-sqlite-'));
    const config = loadDatabaseConfig({ DATA_DIR: directory });
    expect(config.type).toBe('sqlite');
    dataSource = await new DataSource(
      buildDataSourceOptions(config, { entities: ALL_ENTITIES, migrations, migrationsRun: true }),
    ).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    rmSync(directory, { recursive: true, force: true });
  });

  it('migrations and entities describe the same schema', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('round-trips Chinese names and emoji', async () => {
    const saved = await dataSource.getRepository(User).save({ openid: 'sqlite-utf8', nickname: '李四🚀' });
    expect((await dataSource.getRepository(User).findOneByOrFail({ id: saved.id })).nickname).toBe('李四🚀');
  });
});
