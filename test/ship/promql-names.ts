// PromQL words that are not metric names: aggregations, functions, keywords
const NOT_METRICS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
  'rate', 'irate', 'increase', 'delta', 'deriv', 'histogram_quantile', 'clamp_min', 'clamp_max', 'abs', 'absent',
  'time', 'vector', 'scalar', 'label_replace', 'label_join', 'avg_over_time', 'max_over_time', 'min_over_time',
  'inf', 'nan',
]);

/** The metric names a PromQL expression reads (label matchers, ranges, grouping labels and numbers removed). */
export function metricNamesIn(expr: string): string[] {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/(?<![a-zA-Z0-9_:.])\d+(\.\d+)?(e[-+]?\d+)?/gi, ' ');
  const names = new Set<string>();
  for (const match of text.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    if (NOT_METRICS.has(word.toLowerCase())) continue;
    if (text.slice((match.index ?? 0) + word.length).trimStart().startsWith('(')) continue;
    names.add(word);
  }
  return [...names];
}

/** Every sample name a Prometheus text exposition can carry: each family's name, and a histogram's _bucket/_count/_sum. */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = match;
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_count', '_sum']) names.add(`${name}${suffix}`);
  }
  return names;
}
