import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export interface TestS3 {
  readonly endpoint: string;
  readonly bucket: string;
  /** The API's environment for this server (STORAGE_DRIVER=s3 …). */
  readonly env: Record<string, string>;
  /** Every key in the bucket. */
  keys(): Promise<string[]>;
  readonly client: S3Client;
}

/**
 * A real S3-compatible server (s3rver) for the describe block, on a free port with its own
 * directory, started in beforeAll and stopped (connections first, or close() waits for keep-alive
 * sockets) in afterAll. Path-style addressing and WHEN_REQUIRED checksums, as s3rver needs (stack notes).
 */
export function useS3Server(bucket = 'uploads'): TestS3 {
  let server: S3rver | undefined;
  let directory = '';
  let endpoint = '';
  let client: S3Client | undefined;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 's3rver-'));
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    client = new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });

  afterAll(async () => {
    client?.destroy();
    server?.httpServer?.closeAllConnections();
    await server?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useS3Server(): the server starts in beforeAll');
    return value;
  };

  return {
    get endpoint() {
      return ready(endpoint || undefined);
    },
    bucket,
    get env() {
      return {
        STORAGE_DRIVER: 's3',
        S3_BUCKET: bucket,
        S3_ENDPOINT: ready(endpoint || undefined),
        S3_REGION: 'us-east-1',
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
        S3_FORCE_PATH_STYLE: 'true',
      };
    },
    get client() {
      return ready(client);
    },
    keys: async () => {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await ready(client).send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((item) => item.Key ?? ''));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
  };
}
