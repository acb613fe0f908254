import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { LocalStorageDriver } from './local-storage.driver';
import { ObjectNotFoundError } from './storage-driver';

const allFiles = (root: string): string[] => readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((name) => name.includes('.'));

describe('LocalStorageDriver', () => {
  let root: string;
  let storage: LocalStorageDriver;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'storage-spec-'));
    storage = new LocalStorageDriver(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('stores a stream, then reads it whole and by range, heads, lists and deletes it', async () => {
    const body = Buffer.from('0123456789abcdef');
    expect(await storage.put('files/ab/one.bin', Readable.from([body.subarray(0, 5), body.subarray(5)]), { contentType: 'application/pdf' })).toEqual({ size: 16 });
    expect(await text(await storage.get('files/ab/one.bin'))).toBe('0123456789abcdef');
    expect(await text(await storage.get('files/ab/one.bin', { start: 2, end: 5 }))).toBe('2345');
    expect(await storage.head('files/ab/one.bin')).toMatchObject({ key: 'files/ab/one.bin', size: 16 });
    const listed = [];
    for await (const object of storage.list('files/')) listed.push(object.key);
    expect(listed).toEqual(['files/ab/one.bin']);
    await storage.delete('files/ab/one.bin');
    await storage.delete('files/ab/one.bin'); // a second delete is not an error
    expect(await storage.head('files/ab/one.bin')).toBeNull();
    await expect(storage.get('files/ab/one.bin')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('leaves nothing behind when the body fails half-way (a client hanging up)', async () => {
    const body = new PassThrough();
    const put = storage.put('files/cd/broken.bin', body, { contentType: 'image/png' });
    body.write(Buffer.alloc(64 * 1024, 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    body.destroy(new Error('client went away'));
    await expect(put).rejects.toThrow('client went away');
    expect(allFiles(root)).toEqual([]);
    expect(await storage.head('files/cd/broken.bin')).toBeNull();
  });

  it('refuses a body that fails before it is read (the client hung up while the directory was made)', async () => {
    const body = new PassThrough();
    const put = storage.put('files/gh/early.bin', body, { contentType: 'image/png' });
    body.destroy(new Error('client went away early'));
    await expect(put).rejects.toThrow('client went away early');
    expect(allFiles(root)).toEqual([]);
  });

  it('leaves nothing behind when the write is aborted, and never shows a partial object under the key', async () => {
    const body = new PassThrough();
    const controller = new AbortController();
    const put = storage.put('files/ef/aborted.bin', body, { contentType: 'image/png', signal: controller.signal });
    body.write(Buffer.alloc(1024));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await storage.head('files/ef/aborted.bin')).toBeNull();
    controller.abort();
    await expect(put).rejects.toThrow();
    expect(allFiles(root)).toEqual([]);
  });

  it('refuses keys that could leave its directory', async () => {
    for (const key of ['../etc/passwd', 'files/../../x', '/etc/passwd', 'a\\b', 'files/./x', '']) {
      await expect(storage.put(key, Readable.from([Buffer.from('x')]), { contentType: 'text/plain' })).rejects.toThrow('unsafe storage key');
    }
    expect(allFiles(root)).toEqual([]);
  });

  it('keeps large bodies byte-identical', async () => {
    const chunks = Array.from({ length: 40 }, (_, index) => Buffer.alloc(64 * 1024, index));
    await storage.put('files/00/large.bin', Readable.from(chunks), { contentType: 'application/pdf' });
    const hash = createHash('sha256');
    for await (const chunk of await storage.get('files/00/large.bin')) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(Buffer.concat(chunks)).digest('hex'));
  });
});
