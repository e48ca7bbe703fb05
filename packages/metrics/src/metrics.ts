// createMetrics(): lbkit's Prometheus metrics in a prom-client registry, and a scrape handler for node:http.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LbkitError } from '@lbkit/core';
import { brand, lifecycleOption, OptionReader, show } from '@lbkit/core/internal';
import { clusterSetting } from './cluster-peers-options.js';
import { workerScrape } from './cluster-scrape.js';
import { healthMetrics } from './health-metrics.js';
import { lifecycleMetrics } from './lifecycle-metrics.js';
import { MetricSet } from './metric-set.js';
import { promClient } from './prom-client.js';
import { answerScrape } from './scrape-response.js';
import { SESSION_BUCKETS, sessionMetrics } from './session-metrics.js';
import { sheddingMetrics } from './shedding-metrics.js';
import { shutdownMetrics } from './shutdown-metrics.js';
import type { LbkitMetrics, MetricSources, MetricsOptions, PromRegistry } from './types.js';

const METRICS = brand<LbkitMetrics>('metrics');
const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]{0,63}$/;
/** The kinds of source, each observed once. */
export const KINDS = ['shedder', 'health', 'sessionStore', 'shutdown'] as const;
const OPTIONS = [...KINDS, 'registry', 'prefix', 'lifecycle', 'sessionBuckets', 'cluster'] as const;

/** What each source must have, checked when it is given rather than at the first scrape. */
const SOURCE_METHODS: Readonly<Record<(typeof KINDS)[number], readonly [string[], string]>> = {
  shedder: [
    ['snapshot'],
    'Pass the LoadShedder (Express: loadShedding().shedder, Fastify: fastify.loadShedder).',
  ],
  health: [['latestResults'], 'Pass the Health from createHealth() (Express: healthcheck().health).'],
  sessionStore: [['on', 'off'], 'Pass the RedisSessionStore from @lbkit/session-redis.'],
  shutdown: [['on', 'off'], "Pass gracefulShutdown()'s result (Fastify: fastify.shutdown)."],
};

/**
 * True when `value` was made by {@link createMetrics}, by this copy of @lbkit/metrics or another one
 * (adapters accept options or ready metrics).
 */
export function isMetrics(value: unknown): value is LbkitMetrics {
  return METRICS.is(value);
}

/**
 * Registers lbkit's metrics in `registry` (default: prom-client's global one). Lifecycle and
 * in-flight metrics always; the others once their source is given, here or through `observe()`.
 * Gauges read their source in prom-client's `collect()`: nothing runs between scrapes. Options are
 * validated here (`LBKIT_METRICS_…` codes), unknown ones refused with the closest known name.
 */
export function createMetrics<R extends PromRegistry = PromRegistry>(
  options: MetricsOptions<R> = {},
): LbkitMetrics<R> {
  const reader = new OptionReader<MetricsOptions<R>>('METRICS', 'createMetrics()', options, OPTIONS);
  const prefix = readPrefix(reader);
  const buckets = readBuckets(reader);
  const lifecycle = lifecycleOption(reader);
  const given = readRegistry(reader);
  const initial = readSources(reader);
  const inCluster = clusterSetting(reader);
  const client = promClient();
  const registry = (given ?? client.register) as R;
  const sets: MetricSet[] = [];
  const observed = new Set<string>();
  const newSet = (): MetricSet => {
    const set = new MetricSet(client, registry, prefix);
    sets.push(set);
    return set;
  };
  let closed = false;

  const add = (sources: MetricSources): void => {
    if (closed) throw new LbkitError('LBKIT_METRICS_SET_CLOSED', 'these metrics are closed');
    for (const kind of KINDS) {
      if (sources[kind] !== undefined && observed.has(kind)) {
        throw new LbkitError('LBKIT_METRICS_SOURCE_ALREADY_OBSERVED', `a ${kind} is already observed`, {
          hint: 'Each source is observed once per registry; use another registry or prefix for a second one.',
        });
      }
    }
    try {
      if (sources.shedder) sheddingMetrics(newSet(), sources.shedder);
      if (sources.health) healthMetrics(newSet(), sources.health);
      if (sources.sessionStore) sessionMetrics(newSet(), sources.sessionStore, buckets);
      if (sources.shutdown) shutdownMetrics(newSet(), sources.shutdown);
    } catch (error) {
      throw registrationError(error);
    }
    for (const kind of KINDS) if (sources[kind] !== undefined) observed.add(kind);
  };

  try {
    lifecycleMetrics(newSet(), lifecycle);
  } catch (error) {
    for (const set of sets) set.remove();
    throw registrationError(error);
  }
  add(initial);

  const metrics = (): Promise<string> => registry.metrics();
  const scrape = workerScrape(registry, prefix, inCluster);
  return METRICS.mark({
    registry,
    get contentType() {
      return registry.contentType;
    },
    observe(sources: MetricSources) {
      add(readSources(new OptionReader<MetricSources>('METRICS', 'observe()', sources, KINDS)));
    },
    metrics,
    respond(req: IncomingMessage, res: ServerResponse) {
      answerScrape(req, res, scrape.collect, registry.contentType);
    },
    close() {
      if (closed) return;
      closed = true;
      scrape.close();
      for (const set of sets.splice(0)) set.remove();
    },
  });
}

function readPrefix(reader: OptionReader<MetricsOptions<PromRegistry>>): string {
  const prefix: unknown = reader.get('prefix') ?? 'lbkit_';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw reader.invalid(
      `prefix ${show(prefix)} is not a metric name prefix`,
      'Use letters, digits, _ and :, not starting with a digit (for example lbkit_).',
      'LBKIT_METRICS_PREFIX_INVALID',
    );
  }
  return prefix;
}

/** `sessionBuckets`, checked; the default when left out. */
export function readBuckets(reader: OptionReader<{ sessionBuckets?: readonly number[] }>): readonly number[] {
  const buckets: unknown = reader.get('sessionBuckets') ?? SESSION_BUCKETS;
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    buckets.some(
      (b, i) => typeof b !== 'number' || !(b > 0) || !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]),
    )
  ) {
    throw reader.invalid(
      `sessionBuckets must be increasing positive seconds, got ${Array.isArray(buckets) ? JSON.stringify(buckets) : show(buckets)}`,
      'Give upper bounds in seconds in increasing order, for example [0.001, 0.01, 0.1, 1], or leave it out.',
      'LBKIT_METRICS_BUCKETS_INVALID',
    );
  }
  return buckets;
}

function readRegistry<R extends PromRegistry>(reader: OptionReader<MetricsOptions<R>>): R | undefined {
  const registry: unknown = reader.get('registry');
  if (registry === undefined) return undefined;
  const r = registry as Partial<PromRegistry> | null;
  if (typeof r?.registerMetric !== 'function' || typeof r.metrics !== 'function') {
    throw reader.invalid(
      'registry is not a prom-client Registry',
      'Pass a prom-client Registry (new Registry() or its global register), or leave it out for the global one.',
      'LBKIT_METRICS_REGISTRY_INVALID',
    );
  }
  return registry as R;
}

/** The sources given, each checked for the methods that are read. */
export function readSources(reader: OptionReader<MetricSources>): MetricSources {
  const sources: { -readonly [K in keyof MetricSources]: MetricSources[K] } = {};
  for (const kind of KINDS) {
    const source: unknown = reader.get(kind);
    if (source === undefined) continue;
    const [methods, hint] = SOURCE_METHODS[kind];
    const missing = methods.filter(
      (m) => typeof (source as Record<string, unknown> | null)?.[m] !== 'function',
    );
    if (typeof source !== 'object' || source === null || missing.length > 0) {
      throw reader.invalid(
        `${reader.name(kind)} must have ${methods.map((m) => `${m}()`).join(' and ')}, got ${show(source)}`,
        hint,
      );
    }
    (sources as Record<string, unknown>)[kind] = source;
  }
  return sources;
}

/** prom-client refuses a name registered twice: say which registry problem that is. */
function registrationError(error: unknown): unknown {
  if (error instanceof Error && /already been registered/.test(error.message)) {
    return new LbkitError('LBKIT_METRICS_NAME_DUPLICATE', `${error.message} in this registry`, {
      hint: 'createMetrics() was called twice on one registry: close() the first, or pass another registry or prefix.',
      cause: error,
    });
  }
  return error;
}
