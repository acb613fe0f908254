import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, opendir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertSafeKey,
  type ByteRange,
  ObjectNotFoundError,
  type PutOptions,
  type StorageDriver,
  type StoredObjectInfo,
} from './storage-driver';

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';

/**
 * Objects as files under one directory (the embedded profile's default, `./data/uploads`). A put
 * writes `<key>.<random>.partial` beside the target and renames it over the key once the body has
 * ended, so a reader never sees half a file; on any failure the partial file is removed. A
 * partial file left by a crash has no `files` row, so the orphan sweeper removes it.
 */
export class LocalStorageDriver implements StorageDriver {
  readonly name = 'local' as const;
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<{ size: number }> {
    const target = this.pathOf(key);
    // the body can fail before the pipeline listens (a client hanging up while the directory is
    // made): an 'error' nobody listens to would take the process down, so it is kept for below
    let failedEarly: unknown = null;
    const keepEarlyFailure = (error: unknown) => {
      failedEarly ??= error;
    };
    body.on('error', keepEarlyFailure);
    const partial = `${target}.${randomBytes(6).toString('hex')}.partial`;
    let size = 0;
    try {
      await mkdir(dirname(target), { recursive: true });
      if (failedEarly !== null) throw failedEarly;
      body.on('data', (chunk: Buffer) => {
        size += chunk.length;
      });
      await pipeline(body, createWriteStream(partial, { flags: 'wx' }), { signal: options.signal });
      await rename(partial, target);
      return { size };
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    } finally {
      body.off('error', keepEarlyFailure);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(key);
    const stream = createReadStream(path, range ? { start: range.start, end: range.end } : {});
    // open errors surface before the first byte: wait for the descriptor so a missing file is a clean ObjectNotFoundError
    await new Promise<void>((resolveOpen, reject) => {
      stream.once('open', () => resolveOpen());
      stream.once('error', (error) => reject(isMissing(error) ? new ObjectNotFoundError(key) : error));
    });
    return stream;
  }

  async head(key: string): Promise<StoredObjectInfo | null> {
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { key, size: info.size, lastModified: info.mtime } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<StoredObjectInfo> {
    yield* this.walk(resolve(this.root, prefix.replace(/\/+$/, '')));
  }

  private async *walk(directory: string): AsyncIterable<StoredObjectInfo> {
    let entries;
    try {
      entries = await opendir(directory);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for await (const entry of entries) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) {
        yield* this.walk(path);
      } else if (entry.isFile()) {
        const info = await stat(path).catch((error: unknown) => (isMissing(error) ? null : Promise.reject(error)));
        if (info) yield { key: relative(this.root, path).split(sep).join('/'), size: info.size, lastModified: info.mtime };
      }
    }
  }

  private pathOf(key: string): string {
    assertSafeKey(key);
    const path = resolve(this.root, key);
    if (!path.startsWith(this.root + sep)) throw new Error(`unsafe storage key: ${JSON.stringify(key)}`);
    return path;
  }
}
