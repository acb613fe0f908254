import { mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { jest } from '@jest/globals';
import { appErrorCodeOf, newTestService, useTestDataSource } from '@app/testing';
import { LocalStorageDriver } from '@app/storage/local-storage.driver';
import { ObjectNotFoundError, type StorageDriver } from '@app/storage/storage-driver';
import { defineJob } from '@app/jobs/job-type';
import { TwoLevelCache } from '@app/cache/two-level-cache';
import { migrations } from '../migrations';
import { StoredFile } from './entities/stored-file.entity';
import { loadUploadConfig } from './upload.config';

// the lib indexes also load their Nest modules, which pull in CommonJS packages that cannot load the
// ESM-only @nestjs packages under Jest (ADR 0003): hand the services the pieces they use
const STORAGE = Symbol('STORAGE');
jest.unstable_mockModule('@app/storage', () => ({ STORAGE, ObjectNotFoundError }));
jest.unstable_mockModule('@app/cache', () => ({ TwoLevelCache }));
jest.unstable_mockModule('@app/jobs', () => ({ defineJob, JobHandler: () => () => undefined, Jobs: class Jobs {} }));
type ServiceModule = typeof import('./uploads.service');
type SweeperModule = typeof import('./jobs/orphan-sweeper');
type LinksModule = typeof import('./file-links');

const db = useTestDataSource({ entities: [StoredFile], migrations });
const config = { upload: loadUploadConfig({ UPLOAD_QUOTA_BYTES: String(64 * 1024) }) };
let modules: { service: ServiceModule; sweeper: SweeperModule; links: LinksModule };
let root: string;

beforeAll(async () => {
  modules = {
    service: (await import('./uploads.service' as string)) as ServiceModule,
    sweeper: (await import('./jobs/orphan-sweeper' as string)) as SweeperModule,
    links: (await import('./file-links' as string)) as LinksModule,
  };
});
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'uploads-spec-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const filesUnder = (directory: string): string[] =>
  readdirSync(directory, { recursive: true, encoding: 'utf8' }).filter((name) => /\.|[0-9a-f-]{36}$/.test(name.split('/').pop() ?? ''));

function uploadsWith(storage: StorageDriver) {
  const links = newTestService(modules.links.FileLinks, { config }).sut;
  return newTestService(modules.service.UploadsService, {
    dataSource: db.dataSource,
    config,
    providers: [
      { provide: STORAGE, useValue: storage },
      { provide: modules.links.FileLinks, useValue: links },
    ],
  }).sut;
}

/** A multipart request as @fastify/multipart hands it over: a purpose field, then one file. */
function multipart(purpose: string, file: Readable, filename = 'doc.pdf', mimetype = 'application/pdf') {
  const raw = new PassThrough() as unknown as IncomingMessage;
  return {
    raw,
    async *parts() {
      yield { type: 'field' as const, fieldname: 'purpose', value: purpose, valueTruncated: false };
      yield { type: 'file' as const, fieldname: 'file', filename, mimetype, file };
    },
  } as unknown as import('./uploads.service').MultipartSource;
}

const pdf = (size: number): Buffer => Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), Buffer.alloc(size - 15, 7)]);
let owner = 0;
const nextOwner = () => ({ kind: 'user' as const, id: (owner += 1) });

describe('UploadsService (SQLite + local storage)', () => {
  it('stores the object and its row, and answers with the hash of what was stored', async () => {
    const uploads = uploadsWith(new LocalStorageDriver(root));
    const me = nextOwner();
    const file = await uploads.receive(me, multipart('attachment', Readable.from([pdf(5000)])), () => undefined);
    expect(file).toMatchObject({ purpose: 'attachment', mime: 'application/pdf', size: 5000, name: 'doc.pdf' });
    expect(filesUnder(root)).toEqual([`files/${file.id.slice(0, 2)}/${file.id}`]);
    expect(await db.dataSource.getRepository(StoredFile).countBy({ id: file.id })).toBe(1);
    expect((await uploads.list(me, 1, 10)).items.map((item) => item.id)).toEqual([file.id]);
  });

  it('leaves no object and no row when the storage fails mid-write', async () => {
    const local = new LocalStorageDriver(root);
    const failing: StorageDriver = {
      ...local,
      name: 'local',
      head: local.head.bind(local),
      get: local.get.bind(local),
      list: local.list.bind(local),
      delete: local.delete.bind(local),
      put: async (key, body, options) => {
        const broken = new PassThrough();
        broken.on('error', () => undefined);
        // the disk "fails" after the first bytes arrive
        body.once('data', () => broken.destroy(new Error('EIO: disk failed')));
        body.pipe(broken);
        return local.put(key, broken, options);
      },
    };
    const uploads = uploadsWith(failing);
    const me = nextOwner();
    await expect(uploads.receive(me, multipart('attachment', Readable.from([pdf(5000), pdf(5000)])), () => undefined)).rejects.toThrow('EIO');
    expect(filesUnder(root)).toEqual([]);
    expect(await db.dataSource.getRepository(StoredFile).countBy({ ownerId: me.id })).toBe(0);
  });

  it('refuses with 413 5011 past the quota, storing nothing; and deletes only the owner’s files', async () => {
    const uploads = uploadsWith(new LocalStorageDriver(root));
    const me = nextOwner();
    const first = await uploads.receive(me, multipart('attachment', Readable.from([pdf(40 * 1024)])), () => undefined);
    expect(await appErrorCodeOf(uploads.receive(me, multipart('attachment', Readable.from([pdf(40 * 1024)])), () => undefined))).toBe(5011);
    expect(filesUnder(root)).toHaveLength(1);
    expect(await appErrorCodeOf(uploads.remove(nextOwner(), first.id))).toBe(5040);
    await uploads.remove(me, first.id);
    expect(filesUnder(root)).toEqual([]);
    expect(await db.dataSource.getRepository(StoredFile).countBy({ id: first.id })).toBe(0);
  });
});

describe('OrphanSweeper', () => {
  it('removes old objects without a committed row (and old partial writes), keeps owned and recent ones', async () => {
    const storage = new LocalStorageDriver(root);
    const uploads = uploadsWith(storage);
    const kept = await uploads.receive(nextOwner(), multipart('attachment', Readable.from([pdf(2000)])), () => undefined);
    const keptKey = `files/${kept.id.slice(0, 2)}/${kept.id}`;
    const orphanId = '0b7e5c1e-1111-4222-8333-444455556666';
    const orphanKey = `files/0b/${orphanId}`;
    const recentId = '0c7e5c1e-1111-4222-8333-444455556666';
    for (const key of [orphanKey, `${keptKey}.w200`, `${keptKey}.a1b2c3.partial`, `files/0c/${recentId}`]) {
      await storage.put(key, Readable.from([Buffer.from('x')]), { contentType: 'image/png' });
    }
    const hourAndABitAgo = new Date(Date.now() - 61 * 60_000);
    for (const key of [keptKey, orphanKey, `${keptKey}.w200`, `${keptKey}.a1b2c3.partial`]) utimesSync(join(root, key), hourAndABitAgo, hourAndABitAgo);

    const sweeper = newTestService(modules.sweeper.OrphanSweeper, {
      dataSource: db.dataSource,
      config,
      providers: [{ provide: STORAGE, useValue: storage }],
    }).sut;
    expect(await sweeper.sweep()).toBe(2);
    expect(filesUnder(root).sort()).toEqual([keptKey, `${keptKey}.w200`, `files/0c/${recentId}`].sort());
    // the variant of a deleted file goes with the next sweep
    await db.dataSource.getRepository(StoredFile).delete({ id: kept.id });
    expect(await sweeper.sweep()).toBe(2);
    expect(filesUnder(root)).toEqual([`files/0c/${recentId}`]);
  });

  it('drops direct uploads never completed after the age (row and incoming object), keeps recent ones', async () => {
    const storage = new LocalStorageDriver(root);
    const repository = db.dataSource.getRepository(StoredFile);
    const pendingRow = (id: string, createdAt: Date) => ({
      id,
      ownerKind: 'user' as const,
      ownerId: nextOwner().id,
      purpose: 'attachment' as const,
      mime: 'application/pdf',
      size: 10,
      sha256: '',
      width: null,
      height: null,
      originalName: 'a.pdf',
      driver: 'local',
      storageKey: `incoming/${id.slice(0, 2)}/${id}`,
      status: 'pending' as const,
      createdAt,
    });
    const hourAndABitAgo = new Date(Date.now() - 61 * 60_000);
    const stale = pendingRow('1d7e5c1e-1111-4222-8333-444455556666', hourAndABitAgo);
    const fresh = pendingRow('1e7e5c1e-1111-4222-8333-444455556666', new Date());
    await repository.insert([stale, fresh]);
    for (const row of [stale, fresh]) {
      await storage.put(row.storageKey, Readable.from([Buffer.from('%PDF')]), { contentType: 'application/pdf' });
      utimesSync(join(root, row.storageKey), hourAndABitAgo, hourAndABitAgo);
    }
    const sweeper = newTestService(modules.sweeper.OrphanSweeper, { dataSource: db.dataSource, config, providers: [{ provide: STORAGE, useValue: storage }] }).sut;
    expect(await sweeper.sweep()).toBe(1);
    expect(await repository.countBy({ id: stale.id })).toBe(0);
    expect(await repository.countBy({ id: fresh.id })).toBe(1);
    expect(filesUnder(root)).toEqual([fresh.storageKey]);
  });
});
