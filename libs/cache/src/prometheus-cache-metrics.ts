import type { Counter } from 'prom-client';
import { CACHE_SERIES, CacheLayer, CacheMetrics, CacheResult } from './cache.observability';

// what each counter owes prom-client since its last scrape (see prometheusCacheMetrics)
const pendingFlushes = new WeakMap<object, () => void>();

/**
 * Lookups are counted in plain numbers and handed to the prom-client counter when it is scraped
 * (its collect callback), not inc()-ed one by one: a cache hit is the cheapest request there is,
 * and prom-client's labelled inc() validates and hashes the labels and allocates on every call
 * (~0.5% of the CPU of a cached read, decision 0018). Scrapes see the same totals.
 */
export function prometheusCacheMetrics(counter: Counter<'layer' | 'result'>): CacheMetrics {
  const children = CACHE_SERIES.map(([layer, result]) => counter.labels({ layer, result }));
  const pending = new Float64Array(CACHE_SERIES.length);
  const index: Partial<Record<CacheLayer, Partial<Record<CacheResult, number>>>> = {};
  CACHE_SERIES.forEach(([layer, result], i) => ((index[layer] ??= {})[result] = i));
  // every series exists from the start, so rates and ratios work before the first miss
  for (const child of children) child.inc(0);
  pendingFlushes.set(counter, () => {
    pending.forEach((count, i) => {
      if (count > 0) children[i].inc(count);
    });
    pending.fill(0);
  });
  return {
    record: (layer, result) => {
      const i = index[layer]?.[result];
      if (i !== undefined) pending[i]++;
    },
  };
}

/** Hands the counter what was counted since the last call: its collect callback, on every scrape. */
export function flushCacheMetrics(counter: object): void {
  pendingFlushes.get(counter)?.();
}
