import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThan, type Repository } from 'typeorm';
import { defineJob, type JobContext, JobHandler, Jobs } from '@app/jobs';
import { STORAGE, type StorageDriver, type StoredObjectInfo } from '@app/storage';
import { StoredFile } from '../entities/stored-file.entity';
import type { UploadConfig } from '../upload.config';

/** No payload: a sweep looks at everything. */
export class SweepOrphanUploadsPayload {}

export const SweepOrphanUploads = defineJob({
  name: 'upload.sweep-orphans',
  payload: SweepOrphanUploadsPayload,
  attempts: 3,
  timeoutMs: 10 * 60_000,
  concurrency: 1,
});

const BATCH = 500;
/**
 * `files/ab/<uuid>`, `…/<uuid>.w200` (a variant) or `…/<uuid>.<hex>.partial` (a local write in
 * progress or crashed); `incoming/ab/<uuid>`: a direct upload not completed yet.
 */
const KEY = /^(files|incoming)\/[0-9a-f]{2}\/([0-9a-f-]{36})(\.w\d+|\.[0-9a-f]+\.partial)?$/;

/**
 * Deletes objects that no committed `files` row owns and that are older than UPLOAD_ORPHAN_AGE_S
 * (an hour): what a crash between the end of a write and the row's commit left, partial local
 * writes, objects whose delete failed, variants of deleted files. The age keeps it off uploads in
 * flight. A repeatable job (one schedule for all instances); safe to run twice.
 */
@Injectable()
export class OrphanSweeper implements OnApplicationBootstrap {
  private readonly logger = new Logger('OrphanSweeper');
  private readonly config: UploadConfig;

  constructor(
    @InjectRepository(StoredFile) private readonly files: Repository<StoredFile>,
    @Inject(STORAGE) private readonly storage: StorageDriver,
    private readonly jobs: Jobs,
    config: ConfigService,
  ) {
    this.config = config.getOrThrow<UploadConfig>('upload');
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.jobs.repeat(SweepOrphanUploads, {}, { id: 'upload-sweep-orphans', everyMs: this.config.sweepEveryMs });
    } catch (error) {
      // the queue is down at boot: it keeps the schedule and writes it once Redis answers; orphans only wait
      this.logger.warn({ err: (error as Error).message }, 'could not schedule the orphan sweep');
    }
  }

  @JobHandler(SweepOrphanUploads)
  async run(_payload: SweepOrphanUploadsPayload, job: JobContext): Promise<void> {
    const removed = await this.sweep(Date.now(), job.signal);
    if (removed > 0) this.logger.log({ removed }, 'orphaned upload objects removed');
  }

  /** Removes the orphans older than the configured age at `now`; returns how many objects. */
  async sweep(now = Date.now(), signal?: AbortSignal): Promise<number> {
    const before = now - this.config.orphanAgeMs;
    // direct uploads never completed: the reservation goes first, then its object is an orphan below
    await this.files.delete({ status: 'pending', createdAt: LessThan(new Date(before)) });
    let removed = 0;
    for (const prefix of ['files/', 'incoming/']) {
      let batch: StoredObjectInfo[] = [];
      for await (const object of this.storage.list(prefix)) {
        if (signal?.aborted) return removed;
        if (object.lastModified.getTime() > before) continue;
        batch.push(object);
        if (batch.length >= BATCH) {
          removed += await this.sweepBatch(batch);
          batch = [];
        }
      }
      if (batch.length > 0) removed += await this.sweepBatch(batch);
    }
    return removed;
  }

  private async sweepBatch(objects: StoredObjectInfo[]): Promise<number> {
    const ids = [...new Set(objects.map((object) => KEY.exec(object.key)?.[2]).filter((id): id is string => id !== undefined))];
    const rows = ids.length === 0 ? [] : await this.files.find({ select: { id: true, status: true }, where: { id: In(ids) } });
    const statusOf = new Map(rows.map((row) => [row.id, row.status]));
    let removed = 0;
    for (const object of objects) {
      const match = KEY.exec(object.key);
      // an unknown key was not written by us: left alone
      if (!match) continue;
      const [, area, id, suffix] = match;
      const partial = suffix?.endsWith('.partial') === true;
      // what the key's row needs kept: committed files and their variants, the object of a pending direct upload
      const owned = area === 'files' ? statusOf.get(id) === 'committed' : statusOf.get(id) === 'pending';
      if (!partial && owned) continue;
      await this.storage.delete(object.key);
      removed += 1;
    }
    return removed;
  }
}
