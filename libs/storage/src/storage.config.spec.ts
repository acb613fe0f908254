import { loadStorageConfig } from './storage.config';

describe('storage config', () => {
  it('defaults to the local driver under ./data/uploads', () => {
    expect(loadStorageConfig({})).toMatchObject({ driver: 'local', localDir: './data/uploads' });
  });

  it('refuses the local driver in production unless explicitly allowed', () => {
    expect(() => loadStorageConfig({ NODE_ENV: 'production' })).toThrow(/STORAGE_DRIVER=local is refused/);
    expect(() => loadStorageConfig({ DB_HOST: 'db', REDIS_URL: 'redis://r' })).toThrow(/STORAGE_DRIVER=local is refused/);
    expect(loadStorageConfig({ NODE_ENV: 'production', STORAGE_ALLOW_LOCAL_IN_PRODUCTION: 'true' }).driver).toBe('local');
  });

  it('needs a bucket for s3, and reads its settings', () => {
    expect(() => loadStorageConfig({ STORAGE_DRIVER: 's3' })).toThrow(/S3_BUCKET/);
    expect(
      loadStorageConfig({ NODE_ENV: 'production', STORAGE_DRIVER: 's3', S3_BUCKET: 'b', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true' }),
    ).toMatchObject({ driver: 's3', s3: { bucket: 'b', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, partSizeBytes: 5 * 1024 * 1024 } });
  });
});
