// Validates LoadSheddingOptions once, at construction, and fills in every default.

import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Lifecycle } from '@lbkit/core';
import { lifecycleOption, MAX_TIMER_MS, OptionReader, show } from '@lbkit/core/internal';
import { QUEUE_DEFAULTS, type QueueSettings } from './admission-queue.js';
import { type BackstopSettings, DEFAULT_HYSTERESIS, type Edge } from './backstops.js';
import { ADAPTIVE_DEFAULTS, type AdaptiveLimitSettings } from './concurrency-limit.js';
import { RETRY_AFTER_DEFAULTS, type RetryAfterSettings } from './rejection.js';
import { DEFAULT_EXEMPT, DEFAULT_LIVENESS, isProbeRoutes } from './route-match.js';
import { SIGNAL_DEFAULTS, type SignalSettings } from './signals.js';
import { SLOW_START_DEFAULTS, type SlowStartSettings } from './slow-start.js';
import type {
  AdaptiveLimitOptions,
  BackstopThresholds,
  Classifier,
  Clock,
  LoadSheddingOptions,
  PressureSource,
  ProbeRoutes,
  QueueOptions,
  RejectHandler,
  RetryAfterOptions,
  SignalOptions,
} from './types.js';

/** Everything the shedder needs, validated. */
export interface ResolvedOptions {
  readonly lifecycle: Lifecycle;
  /** `false`: thresholds only (no limit, no queue, no turn budget; requests are not tracked). */
  readonly limit: number | AdaptiveLimitSettings | false;
  readonly queue: QueueSettings | false;
  readonly turnBudgetMs: number;
  readonly signals: SignalSettings;
  readonly backstops: BackstopSettings;
  readonly classify: Classifier | undefined;
  readonly exempt: readonly string[] | ((req: IncomingMessage) => boolean);
  readonly liveness: readonly string[];
  readonly health: ProbeRoutes | (() => ProbeRoutes | undefined) | undefined;
  readonly underPressure: PressureSource | undefined;
  readonly retryAfter: RetryAfterSettings;
  readonly format: 'json' | 'text';
  readonly message: string | undefined;
  readonly rejectWith: 'response' | 'error';
  readonly onReject: RejectHandler | undefined;
  readonly slowStart: SlowStartSettings | undefined;
  readonly clock: Clock;
}

/** Default of `turnBudgetMs`. */
export const TURN_BUDGET_DEFAULT = 2;

const KNOWN: readonly (keyof LoadSheddingOptions)[] = [
  'lifecycle',
  'concurrencyLimit',
  'queue',
  'turnBudgetMs',
  'signals',
  'thresholds',
  'classify',
  'exempt',
  'liveness',
  'health',
  'underPressure',
  'retryAfter',
  'format',
  'message',
  'rejectWith',
  'onReject',
  'slowStartMs',
  'slowStartFloor',
  'slowStartAggression',
  'clock',
];

const THRESHOLDS: readonly (keyof BackstopThresholds)[] = [
  'eventLoopDelayMs',
  'eventLoopUtilization',
  'heapUsedBytes',
  'rssBytes',
];

const HINT = 'See the options table in the @lbkit/shedding README.';

/**
 * Validates `options`; throws `LbkitError` on the first problem: `LBKIT_SHEDDING_OPTION_UNKNOWN`
 * for a name it does not know, `LBKIT_SHEDDING_OPTION_INVALID` for a value of the wrong type or
 * range, and a subject's own code when two options contradict each other (`min` above `max`, …).
 */
export function resolveOptions(options: LoadSheddingOptions | undefined): ResolvedOptions {
  const o = new OptionReader<LoadSheddingOptions>('SHEDDING', 'loadShedding()', options, KNOWN);
  const lifecycle = lifecycleOption(o);
  const limit = resolveLimit(o);
  if (limit === false) refuseWithoutLimit(o);
  return {
    lifecycle,
    limit,
    queue: limit === false ? false : resolveQueue(o),
    turnBudgetMs: positive(o, 'turnBudgetMs', TURN_BUDGET_DEFAULT),
    signals: resolveSignals(o.nested<SignalOptions>('signals', Object.keys(SIGNAL_DEFAULTS))),
    backstops: resolveThresholds(o.nested<BackstopThresholds>('thresholds', THRESHOLDS)),
    classify: o.function<Classifier>('classify'),
    exempt:
      typeof o.get('exempt') === 'function'
        ? o.function<(req: IncomingMessage) => boolean>('exempt')!
        : paths(o, 'exempt', DEFAULT_EXEMPT),
    liveness: paths(o, 'liveness', DEFAULT_LIVENESS),
    health: resolveHealth(o),
    underPressure: o.function<PressureSource>('underPressure'),
    retryAfter:
      typeof o.get('retryAfter') === 'number'
        ? fixedRetryAfter(o)
        : resolveRetryAfter(o.nested<RetryAfterOptions>('retryAfter', Object.keys(RETRY_AFTER_DEFAULTS))),
    format: o.oneOf('format', ['json', 'text'] as const, 'json'),
    message: o.string('message', undefined, 512),
    rejectWith: o.oneOf('rejectWith', ['response', 'error'] as const, 'response'),
    onReject: o.function<RejectHandler>('onReject'),
    slowStart: resolveSlowStart(o),
    clock: o.function<Clock>('clock') ?? (() => performance.now()),
  };
}

function resolveSlowStart(o: OptionReader<LoadSheddingOptions>): SlowStartSettings | undefined {
  const windowMs = o.milliseconds('slowStartMs', SLOW_START_DEFAULTS.windowMs);
  const floor = o.number('slowStartFloor', SLOW_START_DEFAULTS.floor, {
    min: 0.01,
    max: 1,
    hint: 'Pass the share of the limit a newly ready instance starts at, for example slowStartFloor: 0.1.',
  });
  const aggression = o.number('slowStartAggression', SLOW_START_DEFAULTS.aggression, {
    min: 0.1,
    max: 10,
    hint: 'Pass 1 for a linear ramp, more to climb early, less to climb late (Envoy’s aggression).',
  });
  return windowMs === 0 ? undefined : { windowMs, floor, aggression };
}

/**
 * `concurrencyLimit: false` leaves nothing for the queue, the turn budget or slow start to act on:
 * naming one of them with it is a contradiction, refused rather than ignored.
 */
function refuseWithoutLimit(o: OptionReader<LoadSheddingOptions>): void {
  const needLimit = [
    'queue',
    'turnBudgetMs',
    'slowStartMs',
    'slowStartFloor',
    'slowStartAggression',
  ] as const;
  for (const name of needLimit) {
    const value = o.get(name);
    // `queue: false` and `slowStartMs: 0` say "none", which agrees.
    if (
      value === undefined ||
      (name === 'queue' && value === false) ||
      (name === 'slowStartMs' && value === 0)
    )
      continue;
    throw o.invalid(
      `${name} needs a concurrency limit, and concurrencyLimit is false`,
      `Leave ${name} out for thresholds-only shedding, or give concurrencyLimit a number or an object.`,
      'LBKIT_SHEDDING_LIMIT_INVALID',
    );
  }
}

function resolveLimit(o: OptionReader<LoadSheddingOptions>): number | AdaptiveLimitSettings | false {
  const value = o.get('concurrencyLimit');
  if (value === false) return false;
  if (typeof value === 'number' || (value !== undefined && (typeof value !== 'object' || value === null))) {
    return o.number('concurrencyLimit', 0, {
      min: 1,
      integer: true,
      hint: 'Pass a fixed limit such as 2, an object for the adaptive limit, or false for thresholds only.',
    });
  }
  const c = o.nested<AdaptiveLimitOptions>('concurrencyLimit', Object.keys(ADAPTIVE_DEFAULTS));
  const whole = { min: 1, integer: true, hint: HINT };
  const s: AdaptiveLimitSettings = {
    initial: c.number('initial', ADAPTIVE_DEFAULTS.initial, whole),
    min: c.number('min', ADAPTIVE_DEFAULTS.min, whole),
    max: c.number('max', ADAPTIVE_DEFAULTS.max, whole),
    tolerance: above(c, 'tolerance', ADAPTIVE_DEFAULTS.tolerance, 1),
    growBelow: c.number('growBelow', ADAPTIVE_DEFAULTS.growBelow, { min: 1, hint: HINT }),
    toleranceMs: c.number('toleranceMs', ADAPTIVE_DEFAULTS.toleranceMs, { min: 0, hint: HINT }),
    windowMs: c.number('windowMs', ADAPTIVE_DEFAULTS.windowMs, { min: 1, max: MAX_TIMER_MS, hint: HINT }),
    minSamples: c.number('minSamples', ADAPTIVE_DEFAULTS.minSamples, whole),
    saturatedDelayMs: positive(c, 'saturatedDelayMs', ADAPTIVE_DEFAULTS.saturatedDelayMs),
    latencySignal: c.oneOf(
      'latencySignal',
      ['when-busy', 'always'] as const,
      ADAPTIVE_DEFAULTS.latencySignal,
    ),
  };
  const code = 'LBKIT_SHEDDING_LIMIT_INVALID';
  if (s.min > s.max) {
    throw c.invalid(`concurrencyLimit.min (${s.min}) is above max (${s.max})`, 'Make min ≤ max.', code);
  }
  if (c.get('initial') !== undefined && (s.initial < s.min || s.initial > s.max)) {
    throw c.invalid(
      `concurrencyLimit.initial (${s.initial}) is outside min–max (${s.min}–${s.max})`,
      'Pick an initial limit between min and max.',
      code,
    );
  }
  if (s.growBelow >= s.tolerance) {
    throw c.invalid(
      `concurrencyLimit.growBelow (${s.growBelow}) must be below tolerance (${s.tolerance})`,
      'Leave a band between them in which the limit holds; otherwise it oscillates.',
      code,
    );
  }
  return { ...s, initial: Math.min(s.max, Math.max(s.min, s.initial)) };
}

function resolveQueue(o: OptionReader<LoadSheddingOptions>): QueueSettings | false {
  const value = o.get('queue');
  if (value === false) return false;
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw o.invalid(
      `queue must be an object or false, got ${show(value)}`,
      'For example queue: { targetMs: 5 }.',
    );
  }
  const q = o.nested<QueueOptions>('queue', Object.keys(QUEUE_DEFAULTS));
  const s: QueueSettings = {
    targetMs: positive(q, 'targetMs', QUEUE_DEFAULTS.targetMs),
    intervalMs: positive(q, 'intervalMs', QUEUE_DEFAULTS.intervalMs),
    maxLength: q.number('maxLength', QUEUE_DEFAULTS.maxLength, { min: 1, integer: true, hint: HINT }),
  };
  if (s.targetMs >= s.intervalMs) {
    throw q.invalid(
      `queue.targetMs (${s.targetMs}) must be below queue.intervalMs (${s.intervalMs})`,
      'CoDel uses a target of about 5% of the interval, for example 5 and 100.',
      'LBKIT_SHEDDING_QUEUE_INVALID',
    );
  }
  return s;
}

function resolveSignals(s: OptionReader<SignalOptions>): SignalSettings {
  return {
    intervalMs: s.number('intervalMs', SIGNAL_DEFAULTS.intervalMs, {
      min: 10,
      max: MAX_TIMER_MS,
      hint: HINT,
    }),
    eventLoopDelayPercentile: s.number('eventLoopDelayPercentile', SIGNAL_DEFAULTS.eventLoopDelayPercentile, {
      min: 0,
      max: 100,
      hint: HINT,
    }),
    resolutionMs: s.number('resolutionMs', SIGNAL_DEFAULTS.resolutionMs, {
      min: 1,
      integer: true,
      hint: HINT,
    }),
  };
}

function resolveThresholds(t: OptionReader<BackstopThresholds>): BackstopSettings {
  const out: BackstopSettings = {};
  for (const key of THRESHOLDS) {
    const value = t.get(key);
    if (value === undefined) continue;
    const max = key === 'eventLoopUtilization' ? 1 : Number.POSITIVE_INFINITY;
    let edge: Edge;
    if (typeof value !== 'object' || value === null) {
      const high = positive(t, key, 0, max);
      edge = { high, low: high * DEFAULT_HYSTERESIS };
    } else {
      const e = t.nested<{ high: number; low: number }>(key, ['high', 'low']);
      const high = positive(e, 'high', undefined, max);
      const low = e.number('low', undefined, { min: 0, hint: HINT });
      if (low === undefined) throw e.invalid(`${e.name('low')} is required with high`, HINT);
      if (low >= high) {
        throw e.invalid(
          `${e.name('low')} (${low}) must be below high (${high})`,
          'The gap between them is the hysteresis.',
          'LBKIT_SHEDDING_THRESHOLD_INVALID',
        );
      }
      edge = { high, low };
    }
    out[key] = edge;
  }
  return out;
}

/** `retryAfter: 10`: always ten seconds, as @fastify/under-pressure's `retryAfter` is. */
function fixedRetryAfter(o: OptionReader<LoadSheddingOptions>): RetryAfterSettings {
  const seconds = o.number('retryAfter', 0, {
    min: 0,
    max: 86_400,
    integer: true,
    hint: 'Pass whole seconds, for example retryAfter: 10, or an object such as { maxSeconds: 30 }.',
  });
  return { minSeconds: seconds, maxSeconds: seconds, jitter: 0 };
}

/** A Health (anything with a `routes` map of paths), or a function that returns one later. */
function resolveHealth(
  o: OptionReader<LoadSheddingOptions>,
): ProbeRoutes | (() => ProbeRoutes | undefined) | undefined {
  const value: unknown = o.get('health');
  if (value === undefined || typeof value === 'function') return value as (() => ProbeRoutes) | undefined;
  if (!isProbeRoutes(value)) {
    throw o.invalid(
      `health must be a Health from @lbkit/health (with its routes) or a function returning one, got ${show(value)}`,
      'Pass health: probes.health (Express healthcheck()), or health: () => probes.health when the probes are made after the shedder.',
    );
  }
  return value;
}

function resolveRetryAfter(r: OptionReader<RetryAfterOptions>): RetryAfterSettings {
  const s: RetryAfterSettings = {
    minSeconds: r.number('minSeconds', RETRY_AFTER_DEFAULTS.minSeconds, {
      min: 0,
      integer: true,
      hint: HINT,
    }),
    maxSeconds: r.number('maxSeconds', RETRY_AFTER_DEFAULTS.maxSeconds, {
      min: 1,
      integer: true,
      hint: HINT,
    }),
    jitter: r.number('jitter', RETRY_AFTER_DEFAULTS.jitter, { min: 0, max: 10, hint: HINT }),
  };
  if (s.minSeconds > s.maxSeconds) {
    throw r.invalid(
      `retryAfter.minSeconds (${s.minSeconds}) is above maxSeconds (${s.maxSeconds})`,
      'Make minSeconds ≤ maxSeconds.',
      'LBKIT_SHEDDING_RETRY_AFTER_INVALID',
    );
  }
  return s;
}

function paths(
  o: OptionReader<LoadSheddingOptions>,
  key: 'exempt' | 'liveness',
  fallback: readonly string[],
): readonly string[] {
  const value: unknown = o.get(key);
  if (value === undefined) return fallback;
  if (
    !Array.isArray(value) ||
    value.some((p) => typeof p !== 'string' || !p.startsWith('/') || p.length > 1024)
  ) {
    throw o.invalid(
      `${key} must be an array of paths starting with "/"${key === 'exempt' ? ' or a function' : ''}, got ${show(value)}`,
      `For example ${key}: ['/health', '/metrics'].`,
    );
  }
  return [...(value as string[])];
}

/**
 * A number above 0 (strictly: a zero budget, target or threshold would shed everything) and at
 * most `max`; the kit's ranges are inclusive, so the open end is checked here.
 */
function positive<T extends object, F extends number | undefined>(
  r: OptionReader<T>,
  key: keyof T & string,
  fallback: F,
  max = MAX_TIMER_MS,
): number | (F & number) {
  return above(r, key, fallback, 0, max);
}

function above<T extends object, F extends number | undefined>(
  r: OptionReader<T>,
  key: keyof T & string,
  fallback: F,
  bound: number,
  max = Number.POSITIVE_INFINITY,
): number | (F & number) {
  const raw: unknown = r.get(key);
  if (typeof raw === 'number' && raw <= bound) {
    const span = max < Number.POSITIVE_INFINITY ? ` and ≤ ${max}` : '';
    throw r.invalid(`${r.name(key)} must be a number > ${bound}${span}, got ${show(raw)}`, HINT);
  }
  const value = r.number(key, fallback, { min: bound, max, hint: HINT });
  if (value === undefined) throw r.invalid(`${r.name(key)} is required`, HINT);
  return value;
}
