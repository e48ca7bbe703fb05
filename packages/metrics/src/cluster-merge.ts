// Merges the registries of several workers (prom-client's getMetricsAsJSON()) into one Prometheus text exposition.

/** One series of a metric family, as prom-client's `getMetricsAsJSON()` gives it. */
export interface MetricValueJSON {
  readonly value: number | null;
  readonly labels?: Readonly<Record<string, string | number>>;
  /** Set for histogram and summary lines (`_bucket`, `_sum`, `_count`). */
  readonly metricName?: string;
}

/** One metric family, as prom-client's `getMetricsAsJSON()` gives it. */
export interface MetricJSON {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly values: readonly MetricValueJSON[];
  /** prom-client's `aggregator` (`sum` by default for every metric, so `sum` on a gauge says nothing). */
  readonly aggregator?: string;
}

/** What every worker that answered sent, by its label value. */
export type WorkerReports = ReadonlyMap<string, readonly MetricJSON[]>;

/** How to merge. */
export interface MergeRules {
  /** The label that tells workers apart. */
  readonly workerLabel: string;
  /** Gauges summed across workers instead of labelled per worker. */
  readonly summedGauges: ReadonlySet<string>;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly series: Map<string, { name: string; labels: Record<string, string | number>; values: number[] }>;
  /** How values of one series are combined. */
  readonly combine: Combine;
}

type Combine = 'sum' | 'per-worker' | 'first' | 'min' | 'max' | 'average' | 'omit';

const GAUGE_AGGREGATORS = new Set<Combine>(['first', 'min', 'max', 'average', 'omit']);

/**
 * One exposition for every worker, merged as prom-client's AggregatorRegistry does for counters and
 * histograms (summed series by series, buckets included), but with gauges and summaries labelled per
 * worker: a gauge summed across processes (memory, a state flag, a limit) or a quantile added to
 * another means nothing. A gauge whose prom-client `aggregator` is `first`, `min`, `max`, `average`
 * or `omit` is merged that way; one named in `summedGauges` is summed.
 */
export function mergeReports(reports: WorkerReports, rules: MergeRules): string {
  const families = new Map<string, Family>();
  for (const [worker, metrics] of reports) {
    for (const metric of metrics) {
      let family = families.get(metric.name);
      if (!family) {
        family = {
          name: metric.name,
          help: metric.help,
          type: metric.type,
          series: new Map(),
          combine: combineOf(metric, rules),
        };
        families.set(metric.name, family);
      }
      // A worker running another version may give the name another type: the first one wins.
      if (family.type !== metric.type || family.combine === 'omit') continue;
      for (const value of metric.values) {
        const labels: Record<string, string | number> = { ...value.labels };
        if (family.combine === 'per-worker') labels[rules.workerLabel] = worker;
        const name = value.metricName ?? metric.name;
        const key = `${name}${seriesKey(labels)}`;
        let series = family.series.get(key);
        if (!series) {
          series = { name, labels, values: [] };
          family.series.set(key, series);
        }
        series.values.push(value.value ?? Number.NaN);
      }
    }
  }
  let text = '';
  for (const family of families.values()) {
    if (family.combine === 'omit') continue;
    text += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
    for (const series of family.series.values()) {
      text += `${series.name}${renderLabels(series.labels)} ${formatValue(combineValues(family.combine, series.values))}\n`;
    }
  }
  return text;
}

/** The text of one gauge family written here (the scrape's own series, such as which workers answered). */
export function renderGauge(
  name: string,
  help: string,
  series: ReadonlyArray<readonly [Readonly<Record<string, string>>, number]>,
): string {
  let text = `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} gauge\n`;
  for (const [labels, value] of series) text += `${name}${renderLabels(labels)} ${formatValue(value)}\n`;
  return text;
}

function combineOf(metric: MetricJSON, rules: MergeRules): Combine {
  if (metric.type === 'counter' || metric.type === 'histogram') return 'sum';
  if (metric.type === 'gauge') {
    if (rules.summedGauges.has(metric.name)) return 'sum';
    const aggregator = metric.aggregator as Combine | undefined;
    if (aggregator !== undefined && GAUGE_AGGREGATORS.has(aggregator)) return aggregator;
  }
  return 'per-worker';
}

function combineValues(combine: Combine, values: readonly number[]): number {
  switch (combine) {
    case 'first':
    case 'per-worker':
      return values[0] ?? Number.NaN;
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    default:
      return values.reduce((a, b) => a + b, 0);
  }
}

function seriesKey(labels: Readonly<Record<string, string | number>>): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, String(labels[k])]),
  );
}

function renderLabels(labels: Readonly<Record<string, string | number>>): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(String(labels[k]))}"`).join(',')}}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** As prom-client writes values: `+Inf`, `-Inf`, `NaN`. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
