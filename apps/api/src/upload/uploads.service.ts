import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import type { Multipart, MultipartFile } from '@fastify/multipart';
import type { EntityManager, Repository } from 'typeorm';
import { TwoLevelCache } from '@app/cache';
import { TransactionRunner } from '@app/database';
import { AppError, drainRequestBody, type Principal } from '@app/http';
import { STORAGE, type StorageDriver } from '@app/storage';
import { ByteMeter } from './byte-meter';
import { checkContent, peek } from './content-check';
import { fileCacheKey } from './file-downloads.service';
import { type FileOwnerKind, StoredFile } from './entities/stored-file.entity';
import { sanitizeFileName } from './file-names';
import { FileLinks } from './file-links';
import { imageError, imageNormalizer } from './image-normalizer';
import type { UploadConfig } from './upload.config';
import { UploadError } from './upload.errors';
import { ANY_PURPOSE, IMAGE_TYPES, isUploadPurpose, PURPOSE_RULES, type UploadPurpose } from './upload-purposes';

/** What a client sees of one of its files (the POST answer and the list items). */
export interface UploadedFile {
  id: string;
  purpose: UploadPurpose;
  mime: string;
  size: number;
  sha256: string;
  width?: number;
  height?: number;
  /** The download route (signed and expiring for private purposes). */
  url: string;
  name: string;
  createdAt: string;
}

export interface UploadPage {
  items: UploadedFile[];
  total: number;
  page: number;
  pageSize: number;
}

/** What ingest() stored, under `key`. */
export interface IngestedObject {
  id: string;
  key: string;
  mime: string;
  ext: string;
  size: number;
  /** As received, before an image was re-encoded: what the size limits apply to. */
  receivedBytes: number;
  sha256: string;
  width: number | null;
  height: number | null;
}

/** A file part stored before its row is written. */
interface ReceivedFile {
  ingested: IngestedObject;
  fileName: string | undefined;
}

export interface FileOwner {
  kind: FileOwnerKind;
  id: number;
}

export const ownerOf = (principal: Principal): FileOwner => ({ kind: principal.kind, id: principal.id });

/** The multipart request as the plugin hands it over (`request.parts(options)`). */
export interface MultipartSource {
  raw: IncomingMessage;
  parts(options: object): AsyncIterableIterator<Multipart>;
}

/** Asks for the connection to be closed after the answer (a refused body is not reused: Connection: close). */
export type CloseAfterAnswer = () => void;

/** Past this many bytes after a refusal, the rest is no longer waited for. */
const DRAIN_CAP_BYTES = 64 * 1024 * 1024;
/** Longest a refusal waits for the rest of the body before it is answered anyway (and the connection closed). */
const DRAIN_WAIT_MS = 5_000;

/**
 * After a refusal (413, 415 …) the rest of the body is read and dropped before the answer goes
 * out: Node closes a `Connection: close` socket as soon as the answer is written, and closing a
 * socket with unread data resets it, so a client still sending would get EPIPE instead of the
 * answer (seen: the 11 MB upload's 413 under load). Once the body has ended the connection stays
 * usable. A client still sending past the cap or the wait is answered anyway and the connection
 * closed after the answer, so its next request is never read out of the rest of this body.
 */
async function drainBeforeAnswer(raw: IncomingMessage, closeAfterAnswer: CloseAfterAnswer): Promise<void> {
  await drainRequestBody(raw, DRAIN_CAP_BYTES, DRAIN_WAIT_MS);
  if (!raw.readableEnded) closeAfterAnswer();
}

/** The object key of a file: generated here, never from anything the client sent. */
export const storageKeyOf = (id: string): string => `files/${id.slice(0, 2)}/${id}`;

const MULTIPART_ERRORS: Record<string, (typeof UploadError)[keyof typeof UploadError]> = {
  FST_FILES_LIMIT: UploadError.TooManyParts,
  FST_FIELDS_LIMIT: UploadError.TooManyParts,
  FST_PARTS_LIMIT: UploadError.TooManyParts,
  FST_PROTO_VIOLATION: UploadError.TooManyParts,
  FST_REQ_FILE_TOO_LARGE: UploadError.TooLarge,
};

/** Carries a failure of store() past the parser's error mapping. */
class StoreFailure extends Error {
  constructor(override readonly cause: unknown) {
    super('store failed', { cause });
  }
}

function multipartError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const definition = typeof code === 'string' ? MULTIPART_ERRORS[code] : undefined;
  return new AppError(definition ?? UploadError.MalformedMultipart, { cause: error });
}

/**
 * Receives uploads: one file per request, streamed from the socket through a size limit, the
 * magic-bytes check and (images) sharp into storage, hashed on the way. The files row is written
 * only after the object is complete, in the transaction that checks the quota; any failure before
 * that removes the object, so no partial object and no row are ever left (a crash in between
 * leaves an object without a row, which the orphan sweeper removes).
 */
@Injectable()
export class UploadsService {
  private readonly logger = new Logger('Uploads');
  private readonly config: UploadConfig;

  constructor(
    @InjectRepository(StoredFile) private readonly files: Repository<StoredFile>,
    @Inject(STORAGE) private readonly storage: StorageDriver,
    private readonly transactions: TransactionRunner,
    private readonly links: FileLinks,
    private readonly cache: TwoLevelCache,
    config: ConfigService,
  ) {
    this.config = config.getOrThrow<UploadConfig>('upload');
  }

  async receive(owner: FileOwner, request: MultipartSource, closeAfterAnswer: CloseAfterAnswer): Promise<UploadedFile> {
    const remaining = await this.remainingQuota(owner);
    if (remaining <= 0) throw new AppError(UploadError.QuotaExceeded);
    const parts = request.parts({
      // busboy's defaults are unlimited: every limit set, per route (not the 1 MB JSON body limit)
      limits: {
        fieldNameSize: 64,
        fieldSize: this.config.maxFieldBytes,
        fields: this.config.maxFields,
        fileSize: Math.max(this.config.maxImageBytes, this.config.maxAttachmentBytes) + 1,
        files: 1,
        parts: this.config.maxFields + 1,
        headerPairs: this.config.maxPartHeaders,
      },
      // file names in UTF-8 (Chinese, emoji), as mini-programs send them
      defParamCharset: 'utf8',
      throwFileSizeLimit: false,
    });
    let purpose: UploadPurpose | undefined;
    let received: ReceivedFile | undefined;
    try {
      for await (const part of parts) {
        if (part.type === 'field') {
          if (part.fieldname !== 'purpose' || purpose !== undefined || part.valueTruncated) throw new AppError(UploadError.TooManyParts);
          const value = String(part.value);
          if (!isUploadPurpose(value)) throw new AppError(UploadError.PurposeMissing);
          purpose = value;
          continue;
        }
        received = await this.receiveFile(part, purpose ?? null, remaining).catch((error: unknown) => {
          throw new StoreFailure(error);
        });
      }
      if (!received) throw new AppError(purpose ? UploadError.NoFile : UploadError.PurposeMissing);
      if (!purpose) throw new AppError(UploadError.PurposeMissing);
      this.checkAdmits(purpose, received, remaining);
    } catch (error) {
      await drainBeforeAnswer(request.raw, closeAfterAnswer);
      if (received) await this.removeObject(received.ingested.key);
      // the storage's own failures reach the client as they are (502/503/504 from the circuit); the parser's as 400/413
      throw error instanceof StoreFailure ? error.cause : multipartError(error);
    }
    const stored = this.fileRow(owner, purpose, received);
    try {
      await this.commit(stored);
    } catch (error) {
      await this.removeObject(stored.storageKey);
      throw error;
    }
    return this.view(stored);
  }

  async list(owner: FileOwner, page: number, pageSize: number): Promise<UploadPage> {
    const [rows, total] = await this.files.findAndCount({
      where: { ownerKind: owner.kind, ownerId: owner.id, status: 'committed' },
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { items: rows.map((row) => this.view(row)), total, page, pageSize };
  }

  /** Removes one of the owner's files: the row first (the file is gone for everyone at once), then its objects. */
  async remove(owner: FileOwner, id: string): Promise<void> {
    const row = await this.files.findOne({ where: { id, ownerKind: owner.kind, ownerId: owner.id } });
    if (!row) throw new AppError(UploadError.FileNotFound);
    const deleted = await this.files.delete({ id, ownerKind: owner.kind, ownerId: owner.id });
    if (!deleted.affected) throw new AppError(UploadError.FileNotFound);
    // every instance's cached copy (downloads read the row from the two-level cache)
    await this.cache.invalidate(fileCacheKey(id));
    // an object left by a failed delete has no row now: the orphan sweeper removes it
    await this.removeObject(row.storageKey);
    await Promise.all(this.config.variantWidths.map((width) => this.removeObject(`${row.storageKey}.w${width}`)));
  }

  /**
   * Streams the file part into storage. With its purpose known (the field came first, as
   * wx.uploadFile sends formData), the purpose's limit and types apply while the bytes arrive.
   * Without (the field comes after the file, as some HTTP clients order a form), the loosest
   * purpose's apply on the way and checkAdmits() applies the real one once the field is read.
   */
  private async receiveFile(part: MultipartFile, purpose: UploadPurpose | null, remainingQuota: number): Promise<ReceivedFile> {
    const limit = purpose ? this.limitOf(purpose) : Math.max(this.config.maxImageBytes, this.config.maxAttachmentBytes);
    const ingested = await this.ingest(
      part.file,
      { type: part.mimetype, name: part.filename },
      purpose,
      Math.min(limit, remainingQuota),
      () => new AppError(limit <= remainingQuota ? UploadError.TooLarge : UploadError.QuotaExceeded),
    );
    return { ingested, fileName: part.filename };
  }

  /** What the purpose-first path refuses on the way, for a file that arrived before its purpose. */
  private checkAdmits(purpose: UploadPurpose, received: ReceivedFile, remainingQuota: number): void {
    if (!PURPOSE_RULES[purpose].types.has(received.ingested.mime)) throw new AppError(UploadError.TypeNotAllowed);
    const limit = this.limitOf(purpose);
    if (received.ingested.receivedBytes > Math.min(limit, remainingQuota)) {
      throw new AppError(limit <= remainingQuota ? UploadError.TooLarge : UploadError.QuotaExceeded);
    }
  }

  private fileRow(owner: FileOwner, purpose: UploadPurpose, { ingested, fileName }: ReceivedFile): StoredFile {
    return this.files.create({
      id: ingested.id,
      ownerKind: owner.kind,
      ownerId: owner.id,
      purpose,
      mime: ingested.mime,
      size: ingested.size,
      sha256: ingested.sha256,
      width: ingested.width,
      height: ingested.height,
      originalName: sanitizeFileName(fileName, ingested.ext),
      driver: this.storage.name,
      storageKey: ingested.key,
      status: 'committed',
      createdAt: new Date(),
    });
  }

  /** The size limit of a purpose's files. */
  limitOf(purpose: UploadPurpose): number {
    return PURPOSE_RULES[purpose].limit === 'image' ? this.config.maxImageBytes : this.config.maxAttachmentBytes;
  }

  /**
   * Streams `source` through the size limit, the magic-bytes check and (images) sharp into
   * storage under a new server-generated key, hashing what is stored. On any failure nothing is
   * left under the key and the failure the client should hear is thrown. Also used to check
   * and normalise a direct (presigned) upload before it becomes usable.
   */
  async ingest(
    source: Readable,
    declared: { type: string; name: string | undefined },
    purpose: UploadPurpose | null,
    limit: number,
    tooLarge: () => AppError,
    id: string = randomUUID(),
  ): Promise<IngestedObject> {
    // no purpose yet: any type some purpose accepts (the caller checks the purpose's own afterwards)
    const rule = purpose ? PURPOSE_RULES[purpose] : ANY_PURPOSE;
    const incoming = new ByteMeter(limit, tooLarge);
    // errors travel down the chain: a destroyed source (client gone) fails the storage write too
    let sourceFailure: unknown = null;
    source.on('error', (error) => incoming.destroy(error));
    incoming.once('error', (error) => {
      sourceFailure = error;
    });
    // A body that was already whole when the parser got it is parsed at once: a file part cut short
    // has failed before this code listened, and would never end. Fail with it instead of waiting.
    if (source.errored) incoming.destroy(source.errored);
    else if (source.destroyed && !source.readableEnded) incoming.destroy(new Error('the file part was closed before its end'));
    else source.pipe(incoming);
    // a body that ends inside a small file part fails here, before the pipeline: the client's error too
    const { head, content } = await peek(incoming).catch((error: unknown) => {
      throw sourceFailure !== null ? multipartError(sourceFailure) : error;
    });
    const { mime, ext } = await checkContent(head, declared.type, declared.name, rule);

    const key = storageKeyOf(id);
    const outgoing = new ByteMeter();
    const image = IMAGE_TYPES.has(mime) ? imageNormalizer(mime, this.config.maxPixels) : null;
    let dimensions: { width: number; height: number } | null = null;
    let imageFailure: unknown = null;
    image?.once('error', (error) => {
      imageFailure = error;
    });
    image?.once('info', (info: { width: number; height: number; pageHeight?: number }) => {
      dimensions = { width: info.width, height: info.pageHeight ?? info.height };
    });
    const [flow, write] = await Promise.allSettled([
      image ? pipeline(content, image, outgoing) : pipeline(content, outgoing),
      // a failed write stops the flow too (a driver that let go of the body would leave it waiting)
      this.storage.put(key, outgoing, { contentType: mime }).catch((error: unknown) => {
        // without an error: the flow may be over already, and an 'error' nobody listens to would crash the process
        outgoing.destroy();
        throw error;
      }),
    ]);
    if (flow.status === 'rejected' || write.status === 'rejected') {
      // the driver removed its partial object; this is the second lock (and the race where the write finished first)
      await this.removeObject(key);
      throw this.failureOf(flow, write, sourceFailure, imageFailure !== sourceFailure ? imageFailure : null);
    }
    const fileDimensions = dimensions as { width: number; height: number } | null;
    return {
      id,
      key,
      mime,
      ext,
      size: outgoing.bytes,
      receivedBytes: incoming.bytes,
      sha256: outgoing.digest(),
      width: fileDimensions?.width ?? null,
      height: fileDimensions?.height ?? null,
    };
  }

  /** The row, in the transaction that re-checks the quota under a lock (concurrent uploads of one owner serialise here). */
  private async commit(file: StoredFile): Promise<void> {
    await this.transactions.run(async (manager) => {
      if (this.config.quotaBytes > 0) {
        const used = await this.usedBytes(manager, { kind: file.ownerKind, id: file.ownerId }, true);
        if (used + file.size > this.config.quotaBytes) throw new AppError(UploadError.QuotaExceeded);
      }
      await manager.insert(StoredFile, file);
    });
  }

  /** Which of the failures the client hears about: ours (limit, type) first, then sharp's, then the storage's. */
  private failureOf(
    flow: PromiseSettledResult<unknown>,
    write: PromiseSettledResult<unknown>,
    sourceFailure: unknown,
    imageFailure: unknown,
  ): unknown {
    const errors = [flow, write].filter((result) => result.status === 'rejected').map((result) => (result as PromiseRejectedResult).reason as unknown);
    const ours = errors.find((error) => error instanceof AppError && error.status < 500);
    if (ours) return ours;
    // the client's body broke (hung up, malformed part): a client error, whatever it did to the write
    if (sourceFailure !== null) return multipartError(sourceFailure);
    if (imageFailure) return imageError(imageFailure);
    // the write's own failure (storage down: 502/503/504 from the circuit) before the echo of it upstream
    return write.status === 'rejected' ? write.reason : errors[0];
  }

  private async remainingQuota(owner: FileOwner): Promise<number> {
    if (this.config.quotaBytes === 0) return Number.POSITIVE_INFINITY;
    return this.config.quotaBytes - (await this.usedBytes(this.files.manager, owner, false));
  }

  async usedBytes(manager: EntityManager, owner: FileOwner, lock: boolean): Promise<number> {
    const query = manager
      .createQueryBuilder(StoredFile, 'file')
      .select('COALESCE(SUM(file.size), 0)', 'used')
      .where('file.owner_kind = :kind AND file.owner_id = :id', { kind: owner.kind, id: owner.id });
    // row and gap locks on MySQL; SQLite serialises writers anyway and has no SELECT … FOR UPDATE
    if (lock && manager.connection.driver.options.type !== 'better-sqlite3') query.setLock('pessimistic_write');
    const row = await query.getRawOne<{ used: string | number }>();
    return Number(row?.used ?? 0);
  }

  async removeObject(key: string): Promise<void> {
    try {
      await this.storage.delete(key);
    } catch (error) {
      // left for the orphan sweeper (no row points at it)
      this.logger.warn({ err: error, key }, 'could not remove an object; the orphan sweeper will');
    }
  }

  view(file: StoredFile): UploadedFile {
    return {
      id: file.id,
      purpose: file.purpose,
      mime: file.mime,
      size: file.size,
      sha256: file.sha256,
      ...(file.width !== null && file.height !== null ? { width: file.width, height: file.height } : {}),
      url: this.links.urlOf(file),
      name: file.originalName,
      createdAt: file.createdAt.toISOString(),
    };
  }
}
