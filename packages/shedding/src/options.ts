// Validates LoadSheddingOptions once, at construction, and fills in every default.
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { defaultLifecycle, LbkitError, type Lifecycle } from '@lbkit/core';
import { QUEUE_DEFAULTS, type QueueSettings } from './admission-queue.js';
import { type BackstopSettings, DEFAULT_HYSTERESIS, type Edge } from './backstops.js';
import { ADAPTIVE_DEFAULTS, type AdaptiveLimitSettings } from './concurrency-limit.js';
import { RETRY_AFTER_DEFAULTS, type RetryAfterSettings } from './rejection.js';
import { DEFAULT_EXEMPT, DEFAULT_LIVENESS } from './route-match.js';
import { SIGNAL_DEFAULTS, type SignalSettings } from './signals.js';
import type {
  BackstopThresholds,
  Classifier,
  Clock,
  LoadSheddingOptions,
  RejectHandler,
  Threshold,
} from './types.js';

/** Everything the shedder needs, validated. */
export interface ResolvedOptions {
  readonly lifecycle: Lifecycle;
  readonly limit: number | AdaptiveLimitSettings;
  readonly queue: QueueSettings | false;
  readonly turnBudgetMs: number;
  readonly signals: SignalSettings;
  readonly backstops: BackstopSettings;
  readonly classify: Classifier | undefined;
  readonly exempt: readonly string[] | ((req: IncomingMessage) => boolean);
  readonly liveness: readonly string[];
  readonly retryAfter: RetryAfterSettings;
  readonly format: 'json' | 'text';
  readonly onReject: RejectHandler | undefined;
  readonly clock: Clock;
}

/** Default of `turnBudgetMs`. */
export const TURN_BUDGET_DEFAULT = 2;

const KNOWN = new Set([
  'lifecycle',
  'concurrencyLimit',
  'queue',
  'turnBudgetMs',
  'signals',
  'thresholds',
  'classify',
  'exempt',
  'liveness',
  'retryAfter',
  'format',
  'onReject',
  'clock',
]);

/** Validates `options`; throws `LbkitError` with a stable code on the first problem. */
export function resolveOptions(options: LoadSheddingOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    fail(
      'LBKIT_SHEDDING_OPTION_INVALID',
      `options must be an object, got ${show(options)}`,
      'Pass {} or leave it out.',
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      fail(
        'LBKIT_SHEDDING_OPTION_UNKNOWN',
        `unknown option ${JSON.stringify(key)}`,
        `Known options: ${[...KNOWN].join(', ')}.`,
      );
    }
  }
  const lifecycle = options.lifecycle ?? defaultLifecycle();
  // Shape, not instanceof: two copies of @lbkit/core in one install must still work together.
  if (typeof lifecycle?.state !== 'string' || typeof lifecycle.inFlight?.track !== 'function') {
    fail(
      'LBKIT_SHEDDING_OPTION_INVALID',
      'lifecycle must be a Lifecycle from @lbkit/core',
      'Pass the lifecycle your health and shutdown use, or leave it out.',
    );
  }
  return {
    lifecycle,
    limit: resolveLimit(options.concurrencyLimit),
    queue: resolveQueue(options.queue),
    turnBudgetMs: num(
      'turnBudgetMs',
      options.turnBudgetMs,
      TURN_BUDGET_DEFAULT,
      'LBKIT_SHEDDING_QUEUE_INVALID',
      { above: 0 },
    ),
    signals: resolveSignals(options.signals),
    backstops: resolveThresholds(options.thresholds),
    classify: fn('classify', options.classify, 'LBKIT_SHEDDING_ROUTES_INVALID') as Classifier | undefined,
    exempt: resolveExempt(options.exempt),
    liveness: paths('liveness', options.liveness ?? DEFAULT_LIVENESS),
    retryAfter: resolveRetryAfter(options.retryAfter),
    format: resolveFormat(options.format),
    onReject: fn('onReject', options.onReject, 'LBKIT_SHEDDING_OPTION_INVALID') as RejectHandler | undefined,
    clock:
      (fn('clock', options.clock, 'LBKIT_SHEDDING_OPTION_INVALID') as Clock | undefined) ??
      (() => performance.now()),
  };
}

function resolveLimit(value: LoadSheddingOptions['concurrencyLimit']): number | AdaptiveLimitSettings {
  const code = 'LBKIT_SHEDDING_LIMIT_INVALID';
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1) {
      fail(
        code,
        `concurrencyLimit must be a whole number ≥ 1, got ${show(value)}`,
        'Pass a fixed limit such as 2, or an object for the adaptive limit.',
      );
    }
    return value;
  }
  const o = object('concurrencyLimit', value, code);
  known('concurrencyLimit', o, Object.keys(ADAPTIVE_DEFAULTS), code);
  const s: AdaptiveLimitSettings = {
    initial: num('concurrencyLimit.initial', o.initial, ADAPTIVE_DEFAULTS.initial, code, {
      min: 1,
      integer: true,
    }),
    min: num('concurrencyLimit.min', o.min, ADAPTIVE_DEFAULTS.min, code, { min: 1, integer: true }),
    max: num('concurrencyLimit.max', o.max, ADAPTIVE_DEFAULTS.max, code, { min: 1, integer: true }),
    tolerance: num('concurrencyLimit.tolerance', o.tolerance, ADAPTIVE_DEFAULTS.tolerance, code, {
      above: 1,
    }),
    growBelow: num('concurrencyLimit.growBelow', o.growBelow, ADAPTIVE_DEFAULTS.growBelow, code, { min: 1 }),
    toleranceMs: num('concurrencyLimit.toleranceMs', o.toleranceMs, ADAPTIVE_DEFAULTS.toleranceMs, code, {
      min: 0,
    }),
    windowMs: num('concurrencyLimit.windowMs', o.windowMs, ADAPTIVE_DEFAULTS.windowMs, code, { min: 1 }),
    minSamples: num('concurrencyLimit.minSamples', o.minSamples, ADAPTIVE_DEFAULTS.minSamples, code, {
      min: 1,
      integer: true,
    }),
    saturatedDelayMs: num(
      'concurrencyLimit.saturatedDelayMs',
      o.saturatedDelayMs,
      ADAPTIVE_DEFAULTS.saturatedDelayMs,
      code,
      { above: 0 },
    ),
    latencySignal: latencySignal(o.latencySignal, code),
  };
  if (s.min > s.max) fail(code, `concurrencyLimit.min (${s.min}) is above max (${s.max})`, 'Make min ≤ max.');
  if (o.initial !== undefined && (s.initial < s.min || s.initial > s.max)) {
    fail(
      code,
      `concurrencyLimit.initial (${s.initial}) is outside min–max (${s.min}–${s.max})`,
      'Pick an initial limit between min and max.',
    );
  }
  if (s.growBelow >= s.tolerance) {
    fail(
      code,
      `concurrencyLimit.growBelow (${s.growBelow}) must be below tolerance (${s.tolerance})`,
      'Leave a band between them in which the limit holds; otherwise it oscillates.',
    );
  }
  return { ...s, initial: Math.min(s.max, Math.max(s.min, s.initial)) };
}

function latencySignal(value: unknown, code: string): 'when-busy' | 'always' {
  if (value === undefined) return ADAPTIVE_DEFAULTS.latencySignal;
  if (value === 'when-busy' || value === 'always') return value;
  return fail(
    code,
    `concurrencyLimit.latencySignal must be 'when-busy' or 'always', got ${JSON.stringify(value)}`,
    "Use 'when-busy' (the default) unless one downstream dependency is the bottleneck.",
  );
}

function resolveQueue(value: LoadSheddingOptions['queue']): QueueSettings | false {
  if (value === false) return false;
  const code = 'LBKIT_SHEDDING_QUEUE_INVALID';
  const o = object('queue', value, code);
  known('queue', o, Object.keys(QUEUE_DEFAULTS), code);
  const s: QueueSettings = {
    targetMs: num('queue.targetMs', o.targetMs, QUEUE_DEFAULTS.targetMs, code, { above: 0 }),
    intervalMs: num('queue.intervalMs', o.intervalMs, QUEUE_DEFAULTS.intervalMs, code, { above: 0 }),
    maxLength: num('queue.maxLength', o.maxLength, QUEUE_DEFAULTS.maxLength, code, { min: 1, integer: true }),
  };
  if (s.targetMs >= s.intervalMs) {
    fail(
      code,
      `queue.targetMs (${s.targetMs}) must be below queue.intervalMs (${s.intervalMs})`,
      'CoDel uses a target of about 5% of the interval, for example 5 and 100.',
    );
  }
  return s;
}

function resolveSignals(value: LoadSheddingOptions['signals']): SignalSettings {
  const code = 'LBKIT_SHEDDING_SIGNALS_INVALID';
  const o = object('signals', value, code);
  known('signals', o, Object.keys(SIGNAL_DEFAULTS), code);
  return {
    intervalMs: num('signals.intervalMs', o.intervalMs, SIGNAL_DEFAULTS.intervalMs, code, { min: 10 }),
    eventLoopDelayPercentile: num(
      'signals.eventLoopDelayPercentile',
      o.eventLoopDelayPercentile,
      SIGNAL_DEFAULTS.eventLoopDelayPercentile,
      code,
      { min: 0, max: 100 },
    ),
    resolutionMs: num('signals.resolutionMs', o.resolutionMs, SIGNAL_DEFAULTS.resolutionMs, code, {
      min: 1,
      integer: true,
    }),
  };
}

function resolveThresholds(value: LoadSheddingOptions['thresholds']): BackstopSettings {
  const code = 'LBKIT_SHEDDING_THRESHOLD_INVALID';
  const o = object('thresholds', value, code);
  const keys: (keyof BackstopThresholds)[] = [
    'eventLoopDelayMs',
    'eventLoopUtilization',
    'heapUsedBytes',
    'rssBytes',
  ];
  known('thresholds', o, keys, code);
  const out: BackstopSettings = {};
  for (const key of keys) {
    const raw = o[key] as Threshold | undefined;
    if (raw === undefined) continue;
    const max = key === 'eventLoopUtilization' ? 1 : undefined;
    let edge: Edge;
    if (typeof raw === 'number') {
      const high = num(`thresholds.${key}`, raw, 0, code, { above: 0, max });
      edge = { high, low: high * DEFAULT_HYSTERESIS };
    } else {
      const e = object(`thresholds.${key}`, raw, code);
      known(`thresholds.${key}`, e, ['high', 'low'], code);
      const high = num(`thresholds.${key}.high`, e.high, Number.NaN, code, { above: 0, max });
      const low = num(`thresholds.${key}.low`, e.low, Number.NaN, code, { min: 0 });
      if (low >= high)
        fail(
          code,
          `thresholds.${key}.low (${low}) must be below high (${high})`,
          'The gap between them is the hysteresis.',
        );
      edge = { high, low };
    }
    out[key] = edge;
  }
  return out;
}

function resolveExempt(
  value: LoadSheddingOptions['exempt'],
): readonly string[] | ((req: IncomingMessage) => boolean) {
  if (typeof value === 'function') return value;
  return paths('exempt', value ?? DEFAULT_EXEMPT);
}

function resolveRetryAfter(value: LoadSheddingOptions['retryAfter']): RetryAfterSettings {
  const code = 'LBKIT_SHEDDING_RETRY_AFTER_INVALID';
  const o = object('retryAfter', value, code);
  known('retryAfter', o, Object.keys(RETRY_AFTER_DEFAULTS), code);
  const s: RetryAfterSettings = {
    minSeconds: num('retryAfter.minSeconds', o.minSeconds, RETRY_AFTER_DEFAULTS.minSeconds, code, {
      min: 0,
      integer: true,
    }),
    maxSeconds: num('retryAfter.maxSeconds', o.maxSeconds, RETRY_AFTER_DEFAULTS.maxSeconds, code, {
      min: 1,
      integer: true,
    }),
    jitter: num('retryAfter.jitter', o.jitter, RETRY_AFTER_DEFAULTS.jitter, code, { min: 0, max: 10 }),
  };
  if (s.minSeconds > s.maxSeconds)
    fail(
      code,
      `retryAfter.minSeconds (${s.minSeconds}) is above maxSeconds (${s.maxSeconds})`,
      'Make minSeconds ≤ maxSeconds.',
    );
  return s;
}

function resolveFormat(value: unknown): 'json' | 'text' {
  if (value === undefined) return 'json';
  if (value === 'json' || value === 'text') return value;
  return fail(
    'LBKIT_SHEDDING_OPTION_INVALID',
    `format must be 'json' or 'text', got ${show(value)}`,
    'Use onReject for any other response.',
  );
}

function paths(name: string, value: unknown): readonly string[] {
  const code = 'LBKIT_SHEDDING_ROUTES_INVALID';
  if (
    !Array.isArray(value) ||
    value.some((p) => typeof p !== 'string' || !p.startsWith('/') || p.length > 1024)
  ) {
    fail(
      code,
      `${name} must be an array of paths starting with "/", got ${show(value)}`,
      `For example ${name}: ['/health', '/metrics'].`,
    );
  }
  return [...(value as string[])];
}

function fn(name: string, value: unknown, code: string): unknown {
  if (value !== undefined && typeof value !== 'function')
    fail(code, `${name} must be a function, got ${show(value)}`, 'Pass a function or leave it out.');
  return value;
}

function object(name: string, value: unknown, code: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(
      code,
      `${name} must be an object, got ${show(value)}`,
      'See the options table in the @lbkit/shedding README.',
    );
  }
  return value as Record<string, unknown>;
}

function known(name: string, o: Record<string, unknown>, keys: readonly string[], code: string): void {
  for (const key of Object.keys(o)) {
    if (!keys.includes(key))
      fail(code, `${name} has no option ${JSON.stringify(key)}`, `Known: ${keys.join(', ')}.`);
  }
}

function num(
  name: string,
  value: unknown,
  fallback: number,
  code: string,
  rule: { min?: number; above?: number; max?: number | undefined; integer?: boolean },
): number {
  if (value === undefined && !Number.isNaN(fallback)) return fallback;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.above === undefined || value > rule.above) &&
    (rule.max === undefined || value <= rule.max) &&
    (!rule.integer || Number.isInteger(value));
  if (!ok) {
    const parts = [
      rule.integer ? 'a whole number' : 'a number',
      rule.min !== undefined ? `≥ ${rule.min}` : '',
      rule.above !== undefined ? `> ${rule.above}` : '',
      rule.max !== undefined ? `≤ ${rule.max}` : '',
    ].filter(Boolean);
    fail(
      code,
      `${name} must be ${parts.join(' ')}, got ${show(value)}`,
      'See the options table in the @lbkit/shedding README.',
    );
  }
  return value as number;
}

function fail(code: string, message: string, hint: string): never {
  throw new LbkitError(code, message, { hint });
}

function show(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
