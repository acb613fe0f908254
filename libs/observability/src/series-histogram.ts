import { register as defaultRegistry, type Metric, type Registry } from 'prom-client';

type Labels<T extends string> = Record<T, string>;

interface ExportedValue {
  value: number;
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  metricName: string;
  exemplar?: null;
}

interface ExportedMetric {
  name: string;
  help: string;
  type: 'histogram';
  values: ExportedValue[];
  aggregator: 'sum';
}

export interface SeriesHistogramOptions<T extends string> {
  name: string;
  help: string;
  labelNames: readonly T[];
  /** Upper bounds in seconds, ascending; `+Inf` is implied. */
  buckets: readonly number[];
  /** Registries it is exported from; prom-client's default registry unless given. */
  registers?: Registry[];
}

/** One label set of a SeriesHistogram: a plain counter per bucket. */
export class HistogramSeries {
  /** Non-cumulative counts per bucket; the last slot counts values above the highest bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly upperBounds: readonly number[],
  ) {
    this.counts = new Float64Array(upperBounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.upperBounds;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]) bucket++;
    this.counts[bucket]++;
    this.sum += value;
    this.count++;
  }
}

/**
 * A Prometheus histogram whose label sets are resolved once, then observed with no lookup at all.
 *
 * Why not prom-client's Histogram for this one metric: the child that `histogram.labels()` returns
 * validates its labels and hashes them into a string key again on every `observe()`, and
 * allocates a label/value pair for it, so "bound" series cost as much as unbound ones. Observed
 * once per request, that was ~1.3% of the CPU of a cached read and ~1.4% of its allocation (bench
 * profile, performance note 0018). Every other metric stays a prom-client one.
 *
 * The exported values have exactly the shape prom-client's Histogram gives (the same `_bucket`,
 * `_sum` and `_count` series, label order and `le` formatting: a spec compares the two
 * expositions byte for byte), and prom-client's registry formats and serves them as it does its
 * own metrics; only the counting is ours.
 */
export class SeriesHistogram<T extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly labelNames: readonly T[];
  private readonly upperBounds: readonly number[];
  private series = new Map<string, HistogramSeries>();

  constructor(options: SeriesHistogramOptions<T>) {
    const bounds = [...options.buckets];
    if (bounds.some((bound, i) => !Number.isFinite(bound) || (i > 0 && bound <= bounds[i - 1]))) {
      throw new Error(`${options.name}: buckets must be finite and ascending`);
    }
    if (options.labelNames.includes('le' as T)) throw new Error('le is a reserved label keyword');
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    this.upperBounds = Object.freeze(bounds);
    // prom-client's registry takes any metric that exports its values this way
    for (const registry of options.registers ?? [defaultRegistry]) registry.registerMetric(this as unknown as Metric);
  }

  /** The series for one label set, created on first use (the caller keeps it). */
  labels(labels: Labels<T>): HistogramSeries {
    const names = Object.keys(labels);
    const unknown = names.find((name) => !this.labelNames.includes(name as T));
    if (unknown) throw new Error(`Added label "${unknown}" is not included in initial labelset: ${JSON.stringify(this.labelNames)}`);
    const key = JSON.stringify(this.labelNames.map((name) => labels[name] ?? null));
    let series = this.series.get(key);
    if (!series) {
      series = new HistogramSeries({ ...labels }, this.upperBounds);
      this.series.set(key, series);
    }
    return series;
  }

  /** What the registry formats for the text exposition (labels kept apart, as prom-client does). */
  getForPromString(): Promise<ExportedMetric> {
    const bucketName = `${this.name}_bucket`;
    const values: ExportedValue[] = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((bound, i) => {
        cumulative += series.counts[i];
        values.push({ labels: { le: bound }, sharedLabels: series.labels, value: cumulative, metricName: bucketName, exemplar: null });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: series.labels, value: series.count, metricName: bucketName, exemplar: null },
        { labels: {}, sharedLabels: series.labels, value: series.sum, metricName: `${this.name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: series.labels, value: series.count, metricName: `${this.name}_count`, exemplar: undefined },
      );
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The JSON form (`registry.getMetricsAsJSON()`, cluster aggregation): labels merged. */
  async get(): Promise<ExportedMetric> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } }));
    return data;
  }

  /**
   * Zeroes every series (`registry.resetMetrics()`). prom-client drops them instead; here they stay
   * listed at zero, because callers keep the series objects they observe into.
   */
  reset(): void {
    for (const series of this.series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
