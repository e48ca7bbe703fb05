// Loads @opentelemetry/api, an optional peer dependency, only when no meter is given; and checks a meter's shape.
import { createRequire } from 'node:module';
import { LbkitError } from '@lbkit/core';
import type { OtelMeter } from './types.js';

/** The methods of {@link OtelMeter} lbkit calls. */
export const METER_METHODS = [
  'createHistogram',
  'createCounter',
  'createUpDownCounter',
  'createObservableGauge',
  'createObservableCounter',
  'createObservableUpDownCounter',
] as const;

/** The global meter provider's meter for lbkit; throws `LBKIT_METRICS_OTEL_API_MISSING` without the API. */
export function defaultMeter(): OtelMeter {
  let api: { metrics: { getMeter(name: string): OtelMeter } };
  try {
    // The application's copy: the one its MeterProvider was registered with.
    api = createRequire(import.meta.url)('@opentelemetry/api') as typeof api;
  } catch (error) {
    throw new LbkitError('LBKIT_METRICS_OTEL_API_MISSING', '@opentelemetry/api is not installed', {
      hint: 'Install it next to @lbkit/metrics (npm install @opentelemetry/api), or pass meter: a Meter of your SDK.',
      cause: error,
    });
  }
  return api.metrics.getMeter('@lbkit/metrics');
}

/** True when `value` has every method of {@link OtelMeter}. */
export function isMeter(value: unknown): value is OtelMeter {
  return (
    typeof value === 'object' &&
    value !== null &&
    METER_METHODS.every((m) => typeof (value as Record<string, unknown>)[m] === 'function')
  );
}
