import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { UploadPurpose } from '../upload-purposes';

export type FileOwnerKind = 'user' | 'admin';
/** `pending`: a direct (presigned) upload announced, not yet checked (its size is the declared one); `committed`: usable. */
export type StoredFileStatus = 'pending' | 'committed';

/** One stored object that made it through every check; objects without a row are orphans the sweeper removes. */
@Entity({ name: 'files' })
@Index('idx_files_owner', ['ownerKind', 'ownerId', 'createdAt'])
export class StoredFile {
  /** A random UUID: the id is in public URLs and must not be guessable or count uploads. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'owner_kind', type: 'varchar', length: 8 })
  ownerKind: FileOwnerKind;

  @Column({ name: 'owner_id', type: 'int' })
  ownerId: number;

  @Column({ type: 'varchar', length: 16 })
  purpose: UploadPurpose;

  /** From the bytes (file-type), never from the client. */
  @Column({ type: 'varchar', length: 64 })
  mime: string;

  @Column({ type: 'int' })
  size: number;

  /** Of the stored bytes (after image normalisation): the ETag. */
  @Column({ type: 'varchar', length: 64 })
  sha256: string;

  @Column({ type: 'int', nullable: true })
  width: number | null;

  @Column({ type: 'int', nullable: true })
  height: number | null;

  /** The client's file name, sanitised; metadata only, never part of a path. */
  @Column({ name: 'original_name', type: 'varchar', length: 255 })
  originalName: string;

  @Column({ type: 'varchar', length: 8 })
  driver: string;

  @Index('uq_files_storage_key', { unique: true })
  @Column({ name: 'storage_key', type: 'varchar', length: 255 })
  storageKey: string;

  @Column({ type: 'varchar', length: 16, default: 'committed' })
  status: StoredFileStatus;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
