// createMetrics(): lbkit's Prometheus metrics in a prom-client registry, and a scrape handler for node:http.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { defaultLifecycle, LbkitError } from '@lbkit/core';
import { healthMetrics } from './health-metrics.js';
import { lifecycleMetrics } from './lifecycle-metrics.js';
import { MetricSet } from './metric-set.js';
import { promClient } from './prom-client.js';
import { SESSION_BUCKETS, sessionMetrics } from './session-metrics.js';
import { sheddingMetrics } from './shedding-metrics.js';
import { shutdownMetrics } from './shutdown-metrics.js';
import type { LbkitMetrics, MetricSources, MetricsOptions } from './types.js';

const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]{0,63}$/;
const KINDS = ['shedder', 'health', 'sessionStore', 'shutdown'] as const;

/**
 * Registers lbkit's metrics in `registry` (default: prom-client's global one). Lifecycle and
 * in-flight metrics always; the others once their source is given, here or through `observe()`.
 * Gauges read their source in prom-client's `collect()`: nothing runs between scrapes. Options are
 * validated here (`LBKIT_METRICS_…` codes).
 */
export function createMetrics(options: MetricsOptions = {}): LbkitMetrics {
  const client = promClient();
  const registry = options.registry ?? client.register;
  if (typeof registry?.registerMetric !== 'function' || typeof registry.metrics !== 'function') {
    throw new LbkitError('LBKIT_METRICS_REGISTRY_INVALID', 'registry is not a prom-client Registry', {
      hint: "Pass new Registry() (or register) from 'prom-client', or leave it out for the global registry.",
    });
  }
  const prefix = options.prefix ?? 'lbkit_';
  if (!PREFIX.test(prefix)) {
    throw new LbkitError(
      'LBKIT_METRICS_PREFIX_INVALID',
      `prefix ${JSON.stringify(prefix)} is not a metric name prefix`,
      {
        hint: 'Use letters, digits, _ and :, not starting with a digit (for example lbkit_).',
      },
    );
  }
  const buckets = options.sessionBuckets ?? SESSION_BUCKETS;
  if (buckets.length === 0 || buckets.some((b, i) => !(b > 0) || (i > 0 && b <= buckets[i - 1]!))) {
    throw new LbkitError('LBKIT_METRICS_BUCKETS_INVALID', 'sessionBuckets must be increasing positive seconds');
  }
  const lifecycle = options.lifecycle ?? defaultLifecycle();
  const sets: MetricSet[] = [];
  const observed = new Set<string>();
  const newSet = (): MetricSet => {
    const set = new MetricSet(client, registry, prefix);
    sets.push(set);
    return set;
  };
  let closed = false;

  const observe = (sources: MetricSources): void => {
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
  observe(options);

  const metrics = (): Promise<string> => registry.metrics();
  return {
    registry,
    get contentType() {
      return registry.contentType;
    },
    observe,
    metrics,
    respond(req: IncomingMessage, res: ServerResponse) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 });
        res.end();
        return;
      }
      metrics().then(
        (text) => {
          if (res.headersSent || res.destroyed) return;
          res.writeHead(200, {
            'content-type': registry.contentType,
            'content-length': Buffer.byteLength(text),
            'cache-control': 'no-store',
          });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (error: unknown) => {
          if (res.headersSent || res.destroyed) return;
          const text = `collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`;
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
          res.end(text);
        },
      );
    },
    close() {
      if (closed) return;
      closed = true;
      for (const set of sets.splice(0)) set.remove();
    },
  };
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
