// Reads the instance's load: lifecycle state, work in flight and queued, against a concurrency limit.
import { LbkitError, type Lifecycle } from '@lbkit/core';
import { lifecycleOption, OptionReader, show } from '@lbkit/core/internal';
import type { LoadOptions, LoadReading, ShedderLoad } from './types.js';

/** Option names of {@link LoadOptions}, shared by every factory of this package. */
export const LOAD_OPTIONS = ['lifecycle', 'concurrencyLimit', 'shedder'] as const satisfies ReadonlyArray<
  keyof LoadOptions
>;

/**
 * Validates where the load comes from once, and returns the reader used at every report. Unknown
 * options are refused (`LBKIT_FEEDBACK_OPTION_UNKNOWN`, naming the closest known one).
 */
export function createLoadGauge(options: LoadOptions = {}): () => LoadReading {
  return readLoad(new OptionReader<LoadOptions>('FEEDBACK', 'createLoadGauge()', options, LOAD_OPTIONS));
}

/**
 * Where the load comes from, read figure by figure: what the ORCA header reads on every response,
 * where one {@link LoadReading} object per response would be the costliest part of it.
 */
export interface LoadSource {
  readonly lifecycle: Lifecycle;
  inFlight(): number;
  queued(): number;
  /** The concurrency limit, when one is known and sane. */
  limit(): number | undefined;
}

/** The load reader from the load options of `reader` (a factory's reader that knows {@link LOAD_OPTIONS}). */
export function readLoad(reader: OptionReader<LoadOptions>): () => LoadReading {
  const source = readLoadSource(reader);
  const { lifecycle } = source;
  return () => reading(lifecycle.state, source.inFlight(), source.queued(), source.limit());
}

/** The {@link LoadSource} of the load options of `reader`, validated once. */
export function readLoadSource(reader: OptionReader<LoadOptions>): LoadSource {
  const lifecycle = lifecycleOption(reader);
  const shedder: unknown = reader.get('shedder');
  const concurrencyLimit: unknown = reader.get('concurrencyLimit');
  if (shedder !== undefined && concurrencyLimit !== undefined) {
    throw new LbkitError('LBKIT_FEEDBACK_LIMIT_CONFLICT', 'both shedder and concurrencyLimit are set', {
      hint: "Pass one: the shedder's limit is the concurrency limit.",
    });
  }
  if (shedder !== undefined) {
    if (!isShedder(shedder)) {
      throw reader.invalid(
        `shedder has no numeric limit, inFlight and queued, got ${show(shedder)}`,
        'Pass a LoadShedder from @lbkit/shedding (Express: loadShedding().shedder, Fastify: fastify.loadShedder).',
        'LBKIT_FEEDBACK_SHEDDER_INVALID',
      );
    }
    return {
      lifecycle,
      inFlight: () => shedder.inFlight,
      queued: () => shedder.queued,
      limit: () => usableLimit(shedder.limit),
    };
  }
  const tracked = { lifecycle, inFlight: () => lifecycle.inFlight.requests, queued: () => 0 };
  if (concurrencyLimit === undefined) return { ...tracked, limit: () => undefined };
  if (typeof concurrencyLimit === 'function') {
    const limit = concurrencyLimit as () => unknown;
    return { ...tracked, limit: () => usableLimit(limit()) };
  }
  const fixed = usableLimit(concurrencyLimit);
  if (fixed === undefined) {
    throw reader.invalid(
      `concurrencyLimit must be a positive finite number or a function, got ${show(concurrencyLimit)}`,
      'Give the number of requests the instance serves well at once, or a function returning it.',
      'LBKIT_FEEDBACK_LIMIT_INVALID',
    );
  }
  return { ...tracked, limit: () => fixed };
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
