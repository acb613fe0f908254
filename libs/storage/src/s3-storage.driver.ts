import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { DependencyBreaker } from '@app/resilience';
import type { StorageConfig } from './storage.config';
import {
  assertSafeKey,
  type ByteRange,
  ObjectNotFoundError,
  type PresignedUpload,
  type PresignPostOptions,
  type PutOptions,
  type StorageDriver,
  type StoredObjectInfo,
} from './storage-driver';

/** The bucket and how to reach it (StorageConfig['s3']): the endpoint is empty for AWS itself, set for COS, OSS, MinIO, s3rver; one part of `partSizeBytes` per upload is held in memory. */
export type S3DriverOptions = StorageConfig['s3'];

const statusOf = (error: unknown): number | undefined =>
  error instanceof S3ServiceException ? error.$metadata.httpStatusCode : (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;

/** The bucket answered and said no: not a failure of the storage, so it must not open the circuit. */
const isAnswer = (error: unknown): boolean => {
  const status = statusOf(error);
  return status === 404 || status === 412 || status === 416;
};

const isNotFound = (error: unknown): boolean =>
  statusOf(error) === 404 || (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound'));

/**
 * Objects in an S3-compatible bucket (AWS S3, Tencent COS, Aliyun OSS's S3 API, MinIO). Every
 * request the SDK sends, the parts of a multipart upload included, goes through the `storage`
 * circuit breaker (a middleware on the client), so a failing bucket fails callers fast with
 * 503/504 instead of piling up. Checksums only WHEN_REQUIRED: S3-compatible servers that do not
 * speak the SDK's default trailing checksums store a streamed body with the trailer in it.
 */
export class S3StorageDriver implements StorageDriver {
  readonly name = 's3' as const;
  readonly client: S3Client;

  constructor(
    private readonly options: S3DriverOptions,
    breaker: DependencyBreaker | null,
  ) {
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle,
      credentials: options.accessKeyId ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } : undefined,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    if (breaker) {
      this.client.middlewareStack.add(
        (next) => async (args) => {
          // an answer (404 …) passes through the circuit as a success and is rethrown to the caller here
          let answer: unknown = null;
          const output = await breaker.execute(async () => {
            try {
              return await next(args);
            } catch (error) {
              if (!isAnswer(error)) throw error;
              answer = error;
              return null;
            }
          });
          if (answer) throw answer;
          return output as Awaited<ReturnType<typeof next>>;
        },
        { step: 'initialize', name: 'storageCircuitBreaker' },
      );
    }
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<{ size: number }> {
    assertSafeKey(key);
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
    });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.options.bucket, Key: key, Body: body, ContentType: options.contentType },
      partSize: this.options.partSizeBytes,
      queueSize: 1,
      leavePartsOnError: false,
    });
    const abort = (): void => {
      void upload.abort().catch(() => undefined);
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    // lib-storage reads the body with an async iterator, which never settles on a stream destroyed
    // without an error (a client hanging up): an 'error'/'close' without the end aborts the upload
    const ended = new Promise<void>((_resolve, reject) => {
      body.once('error', reject);
      body.once('close', () => {
        if (!body.readableEnded) reject(new Error('upload body closed before its end'));
      });
    });
    try {
      await Promise.race([upload.done(), ended]);
      return { size };
    } catch (error) {
      abort();
      body.destroy();
      // a single-part put may have landed just before the failure was noticed; never leave it
      await this.delete(key).catch(() => undefined);
      throw options.signal?.aborted ? (options.signal.reason ?? error) : error;
    } finally {
      options.signal?.removeEventListener('abort', abort);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertSafeKey(key);
    try {
      const output = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      return output.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  async head(key: string): Promise<StoredObjectInfo | null> {
    assertSafeKey(key);
    try {
      const output = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return { key, size: output.ContentLength ?? 0, lastModified: output.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObjectInfo> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: 1000 }),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key) yield { key: item.Key, size: item.Size ?? 0, lastModified: item.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Signed locally (no request to the bucket): key, type and size range are policy conditions. */
  async presignPost(key: string, options: PresignPostOptions): Promise<PresignedUpload> {
    assertSafeKey(key);
    return createPresignedPost(this.client, {
      Bucket: this.options.bucket,
      Key: key,
      Fields: { 'Content-Type': options.contentType },
      Conditions: [
        ['content-length-range', 1, options.maxBytes],
        ['eq', '$Content-Type', options.contentType],
      ],
      Expires: options.expiresS,
    });
  }

  destroy(): void {
    this.client.destroy();
  }
}
