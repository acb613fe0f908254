export const CACHE_REQUESTS_TOTAL = 'cache_requests_total';

export type CacheLayer = 'local' | 'redis';
/** `error`: Redis was unreachable or failed, and the read went on to the loader. */
export type CacheResult = 'hit' | 'miss' | 'error';

/** The series that can occur: the in-process level cannot fail. */
export const CACHE_SERIES: ReadonlyArray<readonly [CacheLayer, CacheResult]> = [
  ['local', 'hit'],
  ['local', 'miss'],
  ['redis', 'hit'],
  ['redis', 'miss'],
  ['redis', 'error'],
];

/** What the cache reports per lookup; kept free of prom-client so the core is unit-testable. */
export interface CacheMetrics {
  record(layer: CacheLayer, result: CacheResult): void;
}

/** A logger shape both Nest's Logger and a test stub satisfy. */
export interface CacheLogger {
  warn(details: object, message: string): void;
}
