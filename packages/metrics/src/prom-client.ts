// Loads prom-client, an optional peer dependency, only when metrics are created; typed by the parts lbkit uses.
import { createRequire } from 'node:module';
import { LbkitError } from '@lbkit/core';
import type { PromRegistry } from './types.js';

/** Label values of one series. */
export type Labels = Readonly<Record<string, string | number>>;

/** What every metric constructor is given. */
export interface MetricConfig {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
  readonly registers: PromRegistry[];
}

/** The parts of prom-client's `Gauge` lbkit uses. */
export interface GaugeLike {
  set(value: number): void;
  set(labels: Labels, value: number): void;
  reset(): void;
}

/** The parts of prom-client's `Counter` lbkit uses. */
export interface CounterLike {
  inc(value?: number): void;
  inc(labels: Labels, value?: number): void;
}

/** The parts of prom-client's `Histogram` lbkit uses. */
export interface HistogramLike {
  observe(labels: Labels, value: number): void;
}

/**
 * The parts of the prom-client module lbkit uses. Declared here rather than imported, so that no
 * declaration of this package needs prom-client installed (test/declarations.test.ts keeps it so,
 * and checks that prom-client's own module fits this shape).
 */
export interface PromClient {
  readonly register: PromRegistry;
  readonly Gauge: new (config: MetricConfig & { collect?(this: GaugeLike): void }) => GaugeLike;
  readonly Counter: new (config: MetricConfig & { collect?(this: CounterLike): void }) => CounterLike;
  readonly Histogram: new (config: MetricConfig & { readonly buckets: number[] }) => HistogramLike;
}

let loaded: PromClient | undefined;

/** prom-client as the application installed it; throws `LBKIT_METRICS_PROM_CLIENT_MISSING` when it is not. */
export function promClient(): PromClient {
  if (loaded) return loaded;
  try {
    // CommonJS package: require() resolves the application's copy, the one its registry comes from.
    loaded = createRequire(import.meta.url)('prom-client') as PromClient;
  } catch (error) {
    throw new LbkitError('LBKIT_METRICS_PROM_CLIENT_MISSING', 'prom-client is not installed', {
      hint: 'Install it next to @lbkit/metrics: npm install prom-client (15.x).',
      cause: error,
    });
  }
  return loaded;
}
