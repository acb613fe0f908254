import type { Counter, LabelValues } from 'prom-client';

// per counter, what hands it the counts made since its last scrape
const pendingFlushes = new WeakMap<object, Array<() => void>>();

/**
 * An increment for one series of a prom-client Counter that counts in a plain number and hands
 * the total to the counter when it is scraped, with one `inc(n)`. For counters bumped on every
 * request: prom-client's labelled `inc()` validates and hashes the labels and allocates on each
 * call, even through a `labels()` child (performance note 0018). The series exists, at 0, from the start.
 *
 * The counter must call `flushTallies(this)` from its `collect` callback (prom-client runs it
 * before every scrape); a scrape then sees every increment made before it.
 */
export function tallyCounter<L extends string>(counter: Counter<L>, labels: LabelValues<L>): () => void {
  const child = counter.labels(labels);
  child.inc(0);
  let pending = 0;
  const flushes = pendingFlushes.get(counter) ?? [];
  pendingFlushes.set(counter, flushes);
  flushes.push(() => {
    if (pending === 0) return;
    const count = pending;
    pending = 0;
    child.inc(count);
  });
  return () => {
    pending++;
  };
}

/** Hands the counter every tallied increment: call it from the counter's `collect`. */
export function flushTallies(counter: object): void {
  for (const flush of pendingFlushes.get(counter) ?? []) flush();
}
