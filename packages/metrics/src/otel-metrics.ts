// createOtelMetrics(): lbkit's signals through the OpenTelemetry metrics API, HTTP semantic conventions included.
import { LbkitError } from '@lbkit/core';
import { brand, lifecycleOption, OptionReader } from '@lbkit/core/internal';
import { KINDS, readBuckets, readSources } from './metrics.js';
import { defaultMeter, isMeter, METER_METHODS } from './otel-api.js';
import { httpInstruments } from './otel-http.js';
import { otelHealth, otelLifecycle, otelSessions, otelShedding, otelShutdown } from './otel-lbkit.js';
import { RouteBound } from './route-bound.js';
import type { LbkitOtelMetrics, MetricSources, OtelMetricsOptions } from './types.js';

const OTEL_METRICS = brand<LbkitOtelMetrics>('otel-metrics');
const OPTIONS = [...KINDS, 'meter', 'lifecycle', 'maxRoutes', 'sessionBuckets'] as const;

/** True when `value` was made by {@link createOtelMetrics} (adapters accept options or ready instruments). */
export function isOtelMetrics(value: unknown): value is LbkitOtelMetrics {
  return OTEL_METRICS.is(value);
}

/**
 * Creates lbkit's OpenTelemetry instruments on `meter` (default: the global meter provider's, from
 * `@opentelemetry/api`): `http.server.request.duration` and `http.server.active_requests` for the
 * requests given to `track()`, and `lbkit.*` instruments read from the lifecycle and the sources
 * at collection time (nothing runs between collections). Options are validated here.
 */
export function createOtelMetrics(options: OtelMetricsOptions = {}): LbkitOtelMetrics {
  const reader = new OptionReader<OtelMetricsOptions>('METRICS', 'createOtelMetrics()', options, OPTIONS);
  const maxRoutes = reader.number('maxRoutes', 100, {
    min: 1,
    max: 10_000,
    integer: true,
    hint: 'Pass a whole number of distinct routes to keep, for example maxRoutes: 100.',
  });
  const buckets = readBuckets(reader);
  const lifecycle = lifecycleOption(reader);
  const given: unknown = reader.get('meter');
  if (given !== undefined && !isMeter(given)) {
    throw reader.invalid(
      `meter must be an OpenTelemetry Meter (${METER_METHODS.join(', ')})`,
      "Pass metrics.getMeter('my-app') of @opentelemetry/api (or your MeterProvider's getMeter()), or leave it out.",
      'LBKIT_METRICS_METER_INVALID',
    );
  }
  const initial = readSources(reader);
  const meter = given ?? defaultMeter();
  const cleanups: Array<() => void> = [];
  const observed = new Set<string>();
  let closed = false;
  const track = httpInstruments(meter, new RouteBound(maxRoutes), () => closed);

  const add = (sources: MetricSources): void => {
    if (closed) throw new LbkitError('LBKIT_METRICS_SET_CLOSED', 'these OpenTelemetry metrics are closed');
    for (const kind of KINDS) {
      if (sources[kind] !== undefined && observed.has(kind)) {
        throw new LbkitError('LBKIT_METRICS_SOURCE_ALREADY_OBSERVED', `a ${kind} is already observed`, {
          hint: 'Each source is observed once per createOtelMetrics(); call it again for a second one.',
        });
      }
    }
    if (sources.shedder) cleanups.push(...otelShedding(meter, sources.shedder));
    if (sources.health) cleanups.push(...otelHealth(meter, sources.health));
    if (sources.sessionStore) cleanups.push(...otelSessions(meter, sources.sessionStore, buckets));
    if (sources.shutdown) cleanups.push(...otelShutdown(meter, sources.shutdown));
    for (const kind of KINDS) if (sources[kind] !== undefined) observed.add(kind);
  };
  cleanups.push(...otelLifecycle(meter, lifecycle));
  add(initial);

  return OTEL_METRICS.mark({
    track,
    observe(sources: MetricSources) {
      add(readSources(new OptionReader<MetricSources>('METRICS', 'observe()', sources, KINDS)));
    },
    close() {
      if (closed) return;
      closed = true;
      for (const cleanup of cleanups.splice(0)) cleanup();
    },
  });
}
