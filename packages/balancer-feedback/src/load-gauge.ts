// Reads the instance's load: lifecycle state, work in flight and queued, against a concurrency limit.
import { defaultLifecycle, LbkitError } from '@lbkit/core';
import type { LoadOptions, LoadReading, ShedderLoad } from './types.js';

/** Validates where the load comes from once, and returns the reader used at every report. */
export function createLoadGauge(options: LoadOptions): () => LoadReading {
  const lifecycle = options.lifecycle ?? defaultLifecycle();
  const { shedder, concurrencyLimit } = options;
  if (shedder !== undefined && concurrencyLimit !== undefined) {
    throw new LbkitError('LBKIT_FEEDBACK_LIMIT_CONFLICT', 'both shedder and concurrencyLimit are set', {
      hint: "Pass one: the shedder's limit is the concurrency limit.",
    });
  }
  if (shedder !== undefined) {
    if (!isShedder(shedder)) {
      throw new LbkitError(
        'LBKIT_FEEDBACK_SHEDDER_INVALID',
        'shedder has no numeric limit, inFlight and queued',
        {
          hint: 'Pass a LoadShedder from @lbkit/shedding (Express: loadShedding().shedder, Fastify: fastify.loadShedder).',
        },
      );
    }
    return () => reading(lifecycle.state, shedder.inFlight, shedder.queued, usableLimit(shedder.limit));
  }
  if (concurrencyLimit === undefined) {
    return () => reading(lifecycle.state, lifecycle.inFlight.requests, 0, undefined);
  }
  if (typeof concurrencyLimit === 'function') {
    return () => reading(lifecycle.state, lifecycle.inFlight.requests, 0, usableLimit(concurrencyLimit()));
  }
  if (usableLimit(concurrencyLimit) === undefined) {
    throw new LbkitError(
      'LBKIT_FEEDBACK_LIMIT_INVALID',
      `concurrencyLimit must be a positive finite number, got ${String(concurrencyLimit)}`,
      { hint: 'Give the number of requests the instance serves well at once, or a function returning it.' },
    );
  }
  return () => reading(lifecycle.state, lifecycle.inFlight.requests, 0, concurrencyLimit);
}

function reading(
  state: LoadReading['state'],
  inFlight: number,
  queued: number,
  limit: number | undefined,
): LoadReading {
  return {
    state,
    inFlight,
    queued,
    limit,
    utilization: limit === undefined ? 0 : (inFlight + queued) / limit,
  };
}

/** A limit a function returned at run time is used only when sane; otherwise the report carries no load. */
function usableLimit(limit: unknown): number | undefined {
  return typeof limit === 'number' && Number.isFinite(limit) && limit > 0 ? limit : undefined;
}

function isShedder(value: unknown): value is ShedderLoad {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return typeof s.limit === 'number' && typeof s.inFlight === 'number' && typeof s.queued === 'number';
}
