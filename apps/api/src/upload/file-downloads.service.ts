import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { TwoLevelCache } from '@app/cache';
import { AppError, type Principal } from '@app/http';
import { ObjectNotFoundError, STORAGE, type StorageDriver } from '@app/storage';
import { etagMatches, parseByteRange } from './byte-range';
import { ByteMeter } from './byte-meter';
import { StoredFile } from './entities/stored-file.entity';
import { contentDisposition } from './file-names';
import { FileLinks } from './file-links';
import { imageError, imageResizer } from './image-normalizer';
import type { UploadConfig } from './upload.config';
import { UploadError } from './upload.errors';
import { IMAGE_TYPES, PURPOSE_RULES } from './upload-purposes';

export interface DownloadRequest {
  /** The signed-in caller, when the request carried a valid token (the route itself is public). */
  viewer: Principal | null;
  width?: number;
  /** Signed link: unix seconds as sent; anything but digits is an invalid link (403). */
  expires?: string;
  sig?: string;
  range?: string;
  ifNoneMatch?: string;
}

/** What a download needs of a files row, as the two-level cache keeps it (JSON). */
interface FileMeta {
  id: string;
  ownerKind: StoredFile['ownerKind'];
  ownerId: number;
  purpose: StoredFile['purpose'];
  mime: string;
  size: number;
  sha256: string;
  originalName: string;
  storageKey: string;
  createdAtMs: number;
}

/** The cache key of a file's row; UploadsService drops it when the file is deleted. */
export const fileCacheKey = (id: string): string => `upload:file:${id}`;
const FILE_TTL_MS = 10 * 60_000;

export interface Download {
  status: 200 | 206 | 304;
  headers: Record<string, string>;
  body: Readable | null;
}

/**
 * GET /files/:id: who may read a file, and its bytes with the HTTP caching and range semantics a
 * browser, a CDN and wx.downloadFile expect. Width variants of images are made once with sharp
 * and kept in storage beside the original (`<key>.w<width>`).
 */
@Injectable()
export class FileDownloadsService {
  private readonly config: UploadConfig;

  constructor(
    @InjectRepository(StoredFile) private readonly files: Repository<StoredFile>,
    @Inject(STORAGE) private readonly storage: StorageDriver,
    private readonly links: FileLinks,
    private readonly cache: TwoLevelCache,
    config: ConfigService,
  ) {
    this.config = config.getOrThrow<UploadConfig>('upload');
  }

  async open(id: string, request: DownloadRequest): Promise<Download> {
    // a row never changes once committed (only deleted, which drops the key): the hot path skips the database
    const file = await this.cache.getOrLoad<FileMeta>(
      fileCacheKey(id),
      async () => {
        const row = await this.files.findOne({ where: { id, status: 'committed' } });
        return row ? toMeta(row) : null;
      },
      FILE_TTL_MS,
    );
    if (!file) throw new AppError(UploadError.FileNotFound);
    const cacheControl = this.authorize(file, request);

    let key = file.storageKey;
    let size = file.size;
    let etag = `"${file.sha256}"`;
    if (request.width !== undefined) {
      if (!IMAGE_TYPES.has(file.mime) || !this.config.variantWidths.includes(request.width)) throw new AppError(UploadError.VariantNotAvailable);
      key = `${file.storageKey}.w${request.width}`;
      size = await this.variantSize(file, key, request.width);
      etag = `"${file.sha256}-w${request.width}"`;
    }

    const headers: Record<string, string> = {
      etag,
      'last-modified': new Date(file.createdAtMs).toUTCString(),
      'cache-control': cacheControl,
      'accept-ranges': 'bytes',
      'x-content-type-options': 'nosniff',
    };
    if (etagMatches(request.ifNoneMatch, etag)) return { status: 304, headers, body: null };

    Object.assign(headers, {
      'content-type': file.mime,
      'content-disposition': contentDisposition(IMAGE_TYPES.has(file.mime) || file.mime === 'application/pdf' ? 'inline' : 'attachment', file.originalName),
    });
    const range = parseByteRange(request.range, size);
    if (range === 'unsatisfiable') {
      throw new AppError(UploadError.RangeNotSatisfiable, { data: { size } });
    }
    const body = await this.read(key, range ?? undefined);
    if (!range) return { status: 200, headers: { ...headers, 'content-length': String(size) }, body };
    return {
      status: 206,
      headers: { ...headers, 'content-length': String(range.end - range.start + 1), 'content-range': `bytes ${range.start}-${range.end}/${size}` },
      body,
    };
  }

  /** Public purposes: anyone, cacheable. Private: a valid signed link, the owner or an admin; anyone else is told there is no such file. */
  private authorize(file: FileMeta, request: DownloadRequest): string {
    if (PURPOSE_RULES[file.purpose].public) return 'public, max-age=86400';
    if (request.sig !== undefined || request.expires !== undefined) {
      const expires = /^\d{1,12}$/.test(request.expires ?? '') ? Number(request.expires) : undefined;
      if (request.sig === undefined || expires === undefined) throw new AppError(UploadError.LinkInvalid);
      const verdict = this.links.signer.check(file.id, expires, request.sig);
      if (verdict === 'invalid') throw new AppError(UploadError.LinkInvalid);
      if (verdict === 'expired') throw new AppError(UploadError.LinkExpired);
      const remaining = Math.max(0, expires - Math.floor(Date.now() / 1000));
      return `private, max-age=${Math.min(remaining, 3600)}`;
    }
    const viewer = request.viewer;
    const isOwner = viewer !== null && viewer.kind === file.ownerKind && viewer.id === file.ownerId;
    const isAdmin = viewer !== null && viewer.kind === 'admin' && viewer.role === 'admin';
    if (!isOwner && !isAdmin) throw new AppError(UploadError.FileNotFound);
    return 'private, no-cache';
  }

  private async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    try {
      return await this.storage.get(key, range);
    } catch (error) {
      // a row whose object is gone (removed by hand): the file is not there
      if (error instanceof ObjectNotFoundError) throw new AppError(UploadError.FileNotFound, { cause: error });
      throw error;
    }
  }

  /** The variant's size, generating and storing it on first request (concurrent first requests each write the same bytes; the last rename/put wins). */
  private async variantSize(file: FileMeta, key: string, width: number): Promise<number> {
    const existing = await this.storage.head(key);
    if (existing) return existing.size;
    const source = await this.read(file.storageKey);
    const resize = imageResizer(file.mime, width, this.config.maxPixels);
    const meter = new ByteMeter();
    const [flow, write] = await Promise.allSettled([pipeline(source, resize, meter), this.storage.put(key, meter, { contentType: file.mime })]);
    if (flow.status === 'rejected') throw imageError(flow.reason);
    if (write.status === 'rejected') throw write.reason;
    return meter.bytes;
  }
}

function toMeta(row: StoredFile): FileMeta {
  return {
    id: row.id,
    ownerKind: row.ownerKind,
    ownerId: row.ownerId,
    purpose: row.purpose,
    mime: row.mime,
    size: row.size,
    sha256: row.sha256,
    originalName: row.originalName,
    storageKey: row.storageKey,
    createdAtMs: row.createdAt.getTime(),
  };
}
