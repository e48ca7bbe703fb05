// An OpenTelemetry SDK meter whose metrics the test reads back through the SDK's in-memory exporter.
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';

/** One data point: its attributes and value (a number, or a histogram's buckets, count and sum). */
export interface Point {
  readonly attributes: Record<string, unknown>;
  readonly value: unknown;
}

/** A meter of a fresh MeterProvider, and what it exported at the last `collect()`. */
export interface TestMeter {
  readonly provider: MeterProvider;
  readonly meter: ReturnType<MeterProvider['getMeter']>;
  /** Every metric as exported now, by name (cumulative). */
  collect(): Promise<Map<string, MetricData>>;
  close(): Promise<void>;
}

export function testMeter(): TestMeter {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // The interval is never reached: each collect() flushes by hand.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    meter: provider.getMeter('test'),
    async collect() {
      exporter.reset();
      await reader.forceFlush();
      const metrics = new Map<string, MetricData>();
      for (const resource of exporter.getMetrics()) {
        for (const scope of resource.scopeMetrics)
          for (const m of scope.metrics) metrics.set(m.descriptor.name, m);
      }
      return metrics;
    },
    close: () => provider.shutdown(),
  };
}

/** The data points of `name` whose attributes include `attributes`. */
export function points(
  metrics: Map<string, MetricData>,
  name: string,
  attributes: Record<string, unknown> = {},
): Point[] {
  const metric = metrics.get(name);
  if (!metric) return [];
  return (metric.dataPoints as Point[]).filter((p) =>
    Object.entries(attributes).every(([k, v]) => p.attributes[k] === v),
  );
}

/** The value of the one point of `name` matching `attributes`; throws when several match. */
export function pointValue(
  metrics: Map<string, MetricData>,
  name: string,
  attributes: Record<string, unknown> = {},
): unknown {
  const found = points(metrics, name, attributes);
  if (found.length > 1) throw new Error(`${found.length} points match ${name} ${JSON.stringify(attributes)}`);
  return found[0]?.value;
}
