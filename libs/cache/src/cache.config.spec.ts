import { ConfigValidationError } from '@app/config';
import { loadCacheConfig } from './cache.config';

describe('loadCacheConfig', () => {
  it('has defaults that keep a local copy at most 5 s', () => {
    expect(loadCacheConfig({})).toEqual({
      localMaxEntries: 10_000,
      localMaxBytes: 32 * 1024 ** 2,
      localTtlMs: 5_000,
      defaultTtlMs: 300_000,
      nullTtlMs: 30_000,
      ttlJitter: 0.1,
      keyPrefix: 'cache:',
    });
  });

  it('reads the jitter as a ratio and names a wrong variable', () => {
    expect(loadCacheConfig({ CACHE_TTL_JITTER: '0.25', CACHE_LOCAL_TTL_MS: '0' })).toMatchObject({
      ttlJitter: 0.25,
      localTtlMs: 0,
    });
    expect(() => loadCacheConfig({ CACHE_TTL_JITTER: 'lots' })).toThrow(/CACHE_TTL_JITTER must be a ratio/);
    expect(() => loadCacheConfig({ CACHE_TTL_JITTER: '1.5' })).toThrow(ConfigValidationError);
    expect(() => loadCacheConfig({ CACHE_KEY_PREFIX: 'has space' })).toThrow(/CACHE_KEY_PREFIX/);
  });
});
