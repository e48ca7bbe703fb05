// How the primary merges workers' registries, and what aggregateClusterMetrics() refuses.
import { aggregateClusterMetrics } from '@lbkit/metrics';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { refusal } from '../../../test/helpers/refusal.js';
import { type MetricJSON, mergeReports } from '../src/cluster-merge.js';
import { parseSamples, sampleValue, typesOf } from './scrape.js';

const rules = { workerLabel: 'worker', summedGauges: new Set<string>() };

/** A worker's registry as it reports it: `fill` registers and sets its metrics. */
async function report(fill: (registry: Registry) => void): Promise<MetricJSON[]> {
  const registry = new Registry();
  fill(registry);
  // prom-client types labels as Partial (values may be undefined); at run time they are the JSON read here.
  return (await registry.getMetricsAsJSON()) as unknown as MetricJSON[];
}

function worker(n: number, temp: number) {
  return (registry: Registry) => {
    const registers = [registry];
    new Counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['kind'], registers }).inc({ kind: 'a' }, n);
    const h = new Histogram({ name: 'job_seconds', help: 'Job time.', buckets: [1, 10], registers });
    for (let i = 0; i < n; i++) h.observe(i);
    new Gauge({ name: 'temp', help: 'A "gauge"\nwith a newline.', registers }).set(temp);
    new Gauge({ name: 'peak', help: 'Peak.', aggregator: 'max', registers }).set(temp * 2);
    new Gauge({ name: 'secret', help: 'Omitted.', aggregator: 'omit', registers }).set(1);
    new Gauge({ name: 'pool_size', help: 'Summed by name.', registers }).set(n);
    new Summary({ name: 'lat', help: 'Quantiles.', percentiles: [0.5], registers }).observe(temp);
  };
}

describe('mergeReports', () => {
  it('sums counters and histograms, labels gauges and summaries per worker, follows aggregators', async () => {
    const reports = new Map([
      ['1', await report(worker(3, 10))],
      ['2', await report(worker(5, 20))],
    ]);
    const text = mergeReports(reports, { ...rules, summedGauges: new Set(['pool_size']) });
    const samples = parseSamples(text);
    expect(sampleValue(samples, 'jobs_total', { kind: 'a' })).toBe(8);
    expect(sampleValue(samples, 'job_seconds_count')).toBe(8);
    expect(sampleValue(samples, 'job_seconds_bucket', { le: '1' })).toBe(4);
    expect(sampleValue(samples, 'job_seconds_bucket', { le: '+Inf' })).toBe(8);
    expect(sampleValue(samples, 'job_seconds_sum')).toBe(0 + 1 + 2 + (0 + 1 + 2 + 3 + 4));
    expect(sampleValue(samples, 'temp', { worker: '1' })).toBe(10);
    expect(sampleValue(samples, 'temp', { worker: '2' })).toBe(20);
    expect(sampleValue(samples, 'peak')).toBe(40);
    expect(sampleValue(samples, 'pool_size')).toBe(8);
    expect(samples.filter((s) => s.name === 'secret')).toEqual([]);
    expect(sampleValue(samples, 'lat', { worker: '2', quantile: '0.5' })).toBe(20);
    expect(sampleValue(samples, 'lat_count', { worker: '1' })).toBe(1);
    const types = typesOf(text);
    expect([types.get('jobs_total'), types.get('job_seconds'), types.get('temp'), types.get('lat')]).toEqual([
      'counter',
      'histogram',
      'gauge',
      'summary',
    ]);
    expect(types.has('secret')).toBe(false);
    // HELP is escaped as the text format wants; each family is written once.
    expect(text).toContain('# HELP temp A "gauge"\\nwith a newline.\n');
    expect(text.match(/^# TYPE jobs_total /gm)).toHaveLength(1);
  });

  it('keeps the first type of a name two workers disagree on, and escapes label values', () => {
    const reports = new Map<string, MetricJSON[]>([
      ['1', [{ name: 'x', help: 'X.', type: 'counter', values: [{ value: 1, labels: { path: 'a"b\\c' } }] }]],
      ['2', [{ name: 'x', help: 'X.', type: 'gauge', values: [{ value: 5, labels: { path: 'a"b\\c' } }] }]],
    ]);
    expect(mergeReports(reports, rules)).toBe('# HELP x X.\n# TYPE x counter\nx{path="a\\"b\\\\c"} 1\n');
  });
});

describe('aggregateClusterMetrics', () => {
  it('answers at once when there is no worker, with its own series only', async () => {
    const pool = aggregateClusterMetrics({ prefix: 'app_' });
    try {
      const samples = parseSamples(await pool.metrics());
      expect(samples).toEqual([{ name: 'app_scrape_scope', labels: { scope: 'cluster' }, value: 1 }]);
      expect(pool.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    } finally {
      pool.close();
      pool.close();
    }
  });

  it.each([
    ['a misspelt option', { timeout: 500 }, 'LBKIT_METRICS_OPTION_UNKNOWN', 'did you mean "timeoutMs"?'],
    ['a timeout of 0', { timeoutMs: 0 }, 'LBKIT_METRICS_OPTION_INVALID', 'timeoutMs'],
    ['a prefix that is no name', { prefix: '9x' }, 'LBKIT_METRICS_PREFIX_INVALID', 'prefix'],
    ['a label that is no name', { workerLabel: 'a-b' }, 'LBKIT_METRICS_OPTION_INVALID', 'workerLabel'],
    ['summedGauges as a string', { summedGauges: 'temp' }, 'LBKIT_METRICS_OPTION_INVALID', 'summedGauges'],
  ])('refuses %s', (_name, options, code, text) => {
    const error = refusal(() => aggregateClusterMetrics(options as never));
    expect(error.code).toBe(code);
    expect(error.message).toContain(text);
  });
});
