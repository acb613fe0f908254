import { Histogram, Registry } from 'prom-client';
import { SeriesHistogram } from './series-histogram';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const config = { name: 'http_test_seconds', help: 'Requests, in seconds', labelNames: ['method', 'route', 'status'] as const, buckets: BUCKETS };

/** The same observations into prom-client's Histogram and ours, each in its own registry. */
function both() {
  const theirsRegistry = new Registry();
  const oursRegistry = new Registry();
  const theirs = new Histogram({ ...config, labelNames: [...config.labelNames], registers: [theirsRegistry] });
  const ours = new SeriesHistogram({ ...config, registers: [oursRegistry] });
  const observe = (labels: { method: string; route: string; status: string }, value: number) => {
    theirs.labels(labels).observe(value);
    ours.labels(labels).observe(value);
  };
  return { theirsRegistry, oursRegistry, observe, ours };
}

describe('SeriesHistogram', () => {
  it('exports exactly what prom-client exports for the same observations: text and JSON', async () => {
    const { theirsRegistry, oursRegistry, observe } = both();
    const get = { method: 'GET', route: '/api/v1/items/:id', status: '200' };
    const missing = { method: 'GET', route: 'unmatched', status: '404' };
    // on a bound, between bounds, above the highest one, and a second series
    for (const value of [0.001, 0.0005, 0.05, 0.1, 0.3, 2.5, 1e-7]) observe(get, value);
    observe(missing, 0.002);
    observe({ method: 'POST', route: '/api/v1/orders', status: '201' }, 0.0123);

    const text = await oursRegistry.metrics();
    expect(text).toBe(await theirsRegistry.metrics());
    expect(text).toContain('http_test_seconds_bucket{le="0.1",method="GET",route="/api/v1/items/:id",status="200"} 5');
    expect(text).toContain('http_test_seconds_bucket{le="+Inf",method="GET",route="/api/v1/items/:id",status="200"} 7');
    expect(text).toContain('http_test_seconds_count{method="GET",route="unmatched",status="404"} 1');
    expect(await oursRegistry.getMetricsAsJSON()).toEqual(await theirsRegistry.getMetricsAsJSON());
  });

  it('gives one series per label set, whatever the order the labels were named in', () => {
    const { ours } = both();
    const a = ours.labels({ method: 'GET', route: '/x', status: '200' });
    expect(ours.labels({ status: '200', route: '/x', method: 'GET' })).toBe(a);
    expect(ours.labels({ method: 'GET', route: '/x', status: '500' })).not.toBe(a);
  });

  it('refuses unknown labels, non-finite values and unordered buckets, as prom-client does', () => {
    const { ours } = both();
    expect(() => ours.labels({ method: 'GET', route: '/x', status: '200', extra: 'y' } as never)).toThrow(/extra/);
    expect(() => ours.labels({ method: 'GET', route: '/x', status: '200' }).observe(Number.NaN)).toThrow(TypeError);
    expect(() => new SeriesHistogram({ ...config, name: 'bad_order', buckets: [1, 0.1], registers: [] })).toThrow(/ascending/);
    expect(() => new SeriesHistogram({ ...config, name: 'bad_label', labelNames: ['le'], registers: [] })).toThrow(/le/);
  });

  it('is zeroed by a registry reset and keeps counting into the series callers hold', async () => {
    const { oursRegistry, ours } = both();
    const series = ours.labels({ method: 'GET', route: '/x', status: '200' });
    series.observe(0.5);
    oursRegistry.resetMetrics();
    expect(await oursRegistry.metrics()).toContain('http_test_seconds_count{method="GET",route="/x",status="200"} 0');
    series.observe(0.05);
    const text = await oursRegistry.metrics();
    expect(text).toContain('http_test_seconds_count{method="GET",route="/x",status="200"} 1');
    expect(text).toContain('http_test_seconds_sum{method="GET",route="/x",status="200"} 0.05');
  });

  it('refuses a second metric of the same name in one registry', () => {
    const registry = new Registry();
    new SeriesHistogram({ ...config, registers: [registry] });
    expect(() => new SeriesHistogram({ ...config, registers: [registry] })).toThrow(/already been registered/);
  });
});
