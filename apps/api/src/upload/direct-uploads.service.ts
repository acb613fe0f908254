import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { TwoLevelCache } from '@app/cache';
import { TransactionRunner } from '@app/database';
import { AppError } from '@app/http';
import { STORAGE, type StorageDriver } from '@app/storage';
import type { PresignUploadDto } from './dto/upload.dto';
import { StoredFile } from './entities/stored-file.entity';
import { fileCacheKey } from './file-downloads.service';
import { sanitizeFileName } from './file-names';
import type { UploadConfig } from './upload.config';
import { UploadError } from './upload.errors';
import { PURPOSE_RULES } from './upload-purposes';
import { type FileOwner, type UploadedFile, UploadsService } from './uploads.service';

/** A presigned POST: the form the client sends to `url` with its file as the last field `file`. */
export interface DirectUpload {
  id: string;
  url: string;
  fields: Record<string, string>;
  expiresAt: string;
}

/** Where a direct upload lands before it is checked: never served, swept when abandoned. */
export const incomingKeyOf = (id: string): string => `incoming/${id.slice(0, 2)}/${id}`;

const PRESIGN_TTL_S = 600;

/**
 * Direct uploads for the S3 driver: the client uploads straight to the bucket with a presigned
 * POST (size and type in its policy), then asks us to complete it. Completing reads the object
 * back through the same checks as POST /uploads (size, magic bytes, sharp) into its final key;
 * only then is the row committed. Until then the row is `pending` (its declared size counts
 * against the quota) and the object sits under `incoming/`, which nothing serves; abandoned ones
 * are removed by the orphan sweeper. S3-compatible servers that do not enforce POST policies are
 * covered by the check on complete.
 */
@Injectable()
export class DirectUploadsService {
  private readonly config: UploadConfig;

  constructor(
    @InjectRepository(StoredFile) private readonly files: Repository<StoredFile>,
    @Inject(STORAGE) private readonly storage: StorageDriver,
    private readonly transactions: TransactionRunner,
    private readonly uploads: UploadsService,
    private readonly cache: TwoLevelCache,
    config: ConfigService,
  ) {
    this.config = config.getOrThrow<UploadConfig>('upload');
  }

  async presign(owner: FileOwner, request: PresignUploadDto): Promise<DirectUpload> {
    if (!this.storage.presignPost) throw new AppError(UploadError.DirectUploadUnavailable);
    if (!PURPOSE_RULES[request.purpose].types.has(request.mime)) throw new AppError(UploadError.TypeNotAllowed);
    if (request.size > this.uploads.limitOf(request.purpose)) throw new AppError(UploadError.TooLarge);
    const id = randomUUID();
    const key = incomingKeyOf(id);
    await this.transactions.run(async (manager) => {
      if (this.config.quotaBytes > 0) {
        const used = await this.uploads.usedBytes(manager, owner, true);
        if (used + request.size > this.config.quotaBytes) throw new AppError(UploadError.QuotaExceeded);
      }
      await manager.insert(StoredFile, {
        id,
        ownerKind: owner.kind,
        ownerId: owner.id,
        purpose: request.purpose,
        mime: request.mime,
        size: request.size,
        sha256: '',
        width: null,
        height: null,
        originalName: sanitizeFileName(request.name, request.mime.split('/')[1] ?? 'bin'),
        driver: this.storage.name,
        storageKey: key,
        status: 'pending',
        createdAt: new Date(),
      });
    });
    const form = await this.storage.presignPost(key, { contentType: request.mime, maxBytes: request.size, expiresS: PRESIGN_TTL_S });
    return { id, ...form, expiresAt: new Date(Date.now() + PRESIGN_TTL_S * 1000).toISOString() };
  }

  async complete(owner: FileOwner, id: string): Promise<UploadedFile> {
    const pending = await this.files.findOne({ where: { id, ownerKind: owner.kind, ownerId: owner.id, status: 'pending' } });
    if (!pending) throw new AppError(UploadError.FileNotFound);
    const uploaded = await this.storage.head(pending.storageKey);
    if (!uploaded) throw new AppError(UploadError.NotUploaded);
    let ingested;
    try {
      if (uploaded.size > pending.size) throw new AppError(UploadError.TooLarge);
      ingested = await this.uploads.ingest(
        await this.storage.get(pending.storageKey),
        { type: pending.mime, name: pending.originalName },
        pending.purpose,
        pending.size,
        () => new AppError(UploadError.TooLarge),
        pending.id,
      );
    } catch (error) {
      // refused for good: the upload and its reservation go (the client starts again with a new presign)
      await this.uploads.removeObject(pending.storageKey);
      await this.files.delete({ id, status: 'pending' });
      throw error;
    }
    const finished = await this.files.update(
      { id, status: 'pending' },
      { status: 'committed', mime: ingested.mime, size: ingested.size, sha256: ingested.sha256, width: ingested.width, height: ingested.height, storageKey: ingested.key },
    );
    // completed twice at once: both wrote the same bytes under the same key, and one of them committed
    if (!finished.affected) throw new AppError(UploadError.FileNotFound);
    // a download tried before completing cached "no such file" (null caching): usable from now on, everywhere
    await this.cache.invalidate(fileCacheKey(id));
    await this.uploads.removeObject(pending.storageKey);
    return this.uploads.view(await this.files.findOneByOrFail({ id }));
  }
}
