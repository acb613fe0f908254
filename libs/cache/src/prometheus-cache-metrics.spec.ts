import { Counter, Registry } from 'prom-client';
import { flushCacheMetrics, prometheusCacheMetrics } from './prometheus-cache-metrics';

function counterIn(registry: Registry): Counter<'layer' | 'result'> {
  return new Counter({
    name: 'cache_requests_total',
    help: 'lookups',
    labelNames: ['layer', 'result'],
    registers: [registry],
    collect() {
      flushCacheMetrics(this);
    },
  });
}

const valueOf = (text: string, layer: string, result: string): number | null => {
  const match = new RegExp(`^cache_requests_total\\{layer="${layer}",result="${result}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : null;
};

describe('prometheusCacheMetrics', () => {
  it('shows every series at zero before any lookup', async () => {
    const registry = new Registry();
    prometheusCacheMetrics(counterIn(registry));
    const text = await registry.metrics();
    for (const [layer, result] of [['local', 'hit'], ['local', 'miss'], ['redis', 'hit'], ['redis', 'miss'], ['redis', 'error']]) {
      expect(valueOf(text, layer, result)).toBe(0);
    }
  });

  it('hands each scrape the lookups counted since the one before, exactly once', async () => {
    const registry = new Registry();
    const metrics = prometheusCacheMetrics(counterIn(registry));
    for (let i = 0; i < 5; i++) metrics.record('local', 'hit');
    metrics.record('local', 'miss');
    metrics.record('redis', 'error');
    let text = await registry.metrics();
    expect([valueOf(text, 'local', 'hit'), valueOf(text, 'local', 'miss'), valueOf(text, 'redis', 'error')]).toEqual([5, 1, 1]);

    // a scrape with nothing new changes nothing; new lookups add to the totals
    text = await registry.metrics();
    expect(valueOf(text, 'local', 'hit')).toBe(5);
    metrics.record('local', 'hit');
    metrics.record('redis', 'hit');
    text = await registry.metrics();
    expect([valueOf(text, 'local', 'hit'), valueOf(text, 'redis', 'hit'), valueOf(text, 'redis', 'miss')]).toEqual([6, 1, 0]);
  });

  it('keeps the counts of two counters apart', async () => {
    const [a, b] = [new Registry(), new Registry()];
    const metricsA = prometheusCacheMetrics(counterIn(a));
    prometheusCacheMetrics(counterIn(b));
    metricsA.record('local', 'hit');
    expect(valueOf(await a.metrics(), 'local', 'hit')).toBe(1);
    expect(valueOf(await b.metrics(), 'local', 'hit')).toBe(0);
  });
});
