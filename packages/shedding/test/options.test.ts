// Misconfiguration fails at construction with a stable LBKIT_SHEDDING_* code and a hint.
import { isLbkitError, Lifecycle } from '@lbkit/core';
import { LoadShedder, type LoadSheddingOptions, overloadCheck } from '@lbkit/shedding';
import { afterEach, describe, expect, it } from 'vitest';

const made: LoadShedder[] = [];
afterEach(() => {
  for (const s of made.splice(0)) s.close();
});

function codeOf(options: unknown): string | undefined {
  try {
    made.push(new LoadShedder({ lifecycle: new Lifecycle(), ...(options as LoadSheddingOptions) }));
    return undefined;
  } catch (error) {
    if (!isLbkitError(error)) throw error;
    expect(error.hint).toBeTruthy();
    return error.code;
  }
}

describe('LoadShedder options', () => {
  it('accepts no options at all', () => {
    const s = new LoadShedder();
    made.push(s);
    expect(s.limit).toBe(1000);
  });

  it('rejects unknown options so typos do not silently disable something', () => {
    expect(codeOf({ concurrencylimit: 5 })).toBe('LBKIT_SHEDDING_OPTION_UNKNOWN');
    expect(codeOf({ queue: { target: 5 } })).toBe('LBKIT_SHEDDING_QUEUE_INVALID');
  });

  it('rejects a bad lifecycle, format, onReject or clock', () => {
    expect(codeOf({ lifecycle: {} })).toBe('LBKIT_SHEDDING_OPTION_INVALID');
    expect(codeOf({ format: 'xml' })).toBe('LBKIT_SHEDDING_OPTION_INVALID');
    expect(codeOf({ onReject: 'nope' })).toBe('LBKIT_SHEDDING_OPTION_INVALID');
    expect(codeOf({ clock: 5 })).toBe('LBKIT_SHEDDING_OPTION_INVALID');
  });

  it('rejects impossible limits', () => {
    expect(codeOf({ concurrencyLimit: 0 })).toBe('LBKIT_SHEDDING_LIMIT_INVALID');
    expect(codeOf({ concurrencyLimit: 2.5 })).toBe('LBKIT_SHEDDING_LIMIT_INVALID');
    expect(codeOf({ concurrencyLimit: { min: 10, max: 5 } })).toBe('LBKIT_SHEDDING_LIMIT_INVALID');
    expect(codeOf({ concurrencyLimit: { initial: 50, max: 10 } })).toBe('LBKIT_SHEDDING_LIMIT_INVALID');
    expect(codeOf({ concurrencyLimit: { tolerance: 1 } })).toBe('LBKIT_SHEDDING_LIMIT_INVALID');
    expect(codeOf({ concurrencyLimit: { growBelow: 2, tolerance: 1.5 } })).toBe(
      'LBKIT_SHEDDING_LIMIT_INVALID',
    );
    expect(codeOf({ concurrencyLimit: { windowMs: Number.NaN } })).toBe('LBKIT_SHEDDING_LIMIT_INVALID');
    expect(codeOf({ concurrencyLimit: 4 })).toBeUndefined();
  });

  it('rejects a queue whose target is not below its interval', () => {
    expect(codeOf({ queue: { targetMs: 100, intervalMs: 100 } })).toBe('LBKIT_SHEDDING_QUEUE_INVALID');
    expect(codeOf({ queue: { maxLength: 0 } })).toBe('LBKIT_SHEDDING_QUEUE_INVALID');
    expect(codeOf({ queue: false })).toBeUndefined();
    expect(codeOf({ turnBudgetMs: 0 })).toBe('LBKIT_SHEDDING_QUEUE_INVALID');
  });

  it('rejects bad sampling settings', () => {
    expect(codeOf({ signals: { intervalMs: 1 } })).toBe('LBKIT_SHEDDING_SIGNALS_INVALID');
    expect(codeOf({ signals: { eventLoopDelayPercentile: 101 } })).toBe('LBKIT_SHEDDING_SIGNALS_INVALID');
    expect(codeOf({ signals: { resolutionMs: 0 } })).toBe('LBKIT_SHEDDING_SIGNALS_INVALID');
  });

  it('rejects thresholds without room for hysteresis or out of range', () => {
    expect(codeOf({ thresholds: { heapUsedBytes: { high: 10, low: 10 } } })).toBe(
      'LBKIT_SHEDDING_THRESHOLD_INVALID',
    );
    expect(codeOf({ thresholds: { eventLoopUtilization: 1.5 } })).toBe('LBKIT_SHEDDING_THRESHOLD_INVALID');
    expect(codeOf({ thresholds: { rssBytes: -1 } })).toBe('LBKIT_SHEDDING_THRESHOLD_INVALID');
    expect(codeOf({ thresholds: { cpu: 1 } })).toBe('LBKIT_SHEDDING_THRESHOLD_INVALID');
    expect(codeOf({ thresholds: { eventLoopUtilization: 0.98, heapUsedBytes: 1e9 } })).toBeUndefined();
  });

  it('rejects route lists that are not paths, and a classifier that is not a function', () => {
    expect(codeOf({ exempt: ['health'] })).toBe('LBKIT_SHEDDING_ROUTES_INVALID');
    expect(codeOf({ exempt: '/health' })).toBe('LBKIT_SHEDDING_ROUTES_INVALID');
    expect(codeOf({ liveness: [42] })).toBe('LBKIT_SHEDDING_ROUTES_INVALID');
    expect(codeOf({ classify: 'critical' })).toBe('LBKIT_SHEDDING_ROUTES_INVALID');
    expect(codeOf({ exempt: () => false })).toBeUndefined();
  });

  it('rejects Retry-After bounds the wrong way round', () => {
    expect(codeOf({ retryAfter: { minSeconds: 10, maxSeconds: 5 } })).toBe(
      'LBKIT_SHEDDING_RETRY_AFTER_INVALID',
    );
    expect(codeOf({ retryAfter: { jitter: -1 } })).toBe('LBKIT_SHEDDING_RETRY_AFTER_INVALID');
  });
});

describe('overloadCheck options', () => {
  it('rejects a bad name, status, sustainedMs or minShedRatio', () => {
    const shedder = new LoadShedder({ lifecycle: new Lifecycle() });
    made.push(shedder);
    const code = (o: object): string | undefined => {
      try {
        overloadCheck(shedder, o);
        return undefined;
      } catch (error) {
        return isLbkitError(error) ? error.code : 'other';
      }
    };
    expect(code({ name: 'has space' })).toBe('LBKIT_SHEDDING_CHECK_INVALID');
    expect(code({ status: 'pass' })).toBe('LBKIT_SHEDDING_CHECK_INVALID');
    expect(code({ sustainedMs: -1 })).toBe('LBKIT_SHEDDING_CHECK_INVALID');
    expect(code({ minShedRatio: 2 })).toBe('LBKIT_SHEDDING_CHECK_INVALID');
    expect(code({ status: 'fail', sustainedMs: 0 })).toBeUndefined();
  });
});
