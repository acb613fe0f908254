export {
  assertSafeKey,
  type ByteRange,
  ObjectNotFoundError,
  type PresignedUpload,
  type PresignPostOptions,
  type PutOptions,
  type StorageDriver,
  type StorageDriverName,
  type StoredObjectInfo,
} from './storage-driver';
export { LocalStorageDriver } from './local-storage.driver';
export type { S3DriverOptions } from './s3-storage.driver';
export { loadStorageConfig, storageConfig, type StorageConfig } from './storage.config';
export { createStorageDriver, STORAGE, StorageModule } from './storage.module';
