// Misconfiguration fails at construction with a stable LBKIT_SHEDDING_* code and a hint: wrong values here, unknown names in strict-options.test.ts.
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

  it('refuses a value of the wrong type or out of range with LBKIT_SHEDDING_OPTION_INVALID', () => {
    const invalid = 'LBKIT_SHEDDING_OPTION_INVALID';
    expect(codeOf({ lifecycle: {} })).toBe(invalid);
    expect(codeOf({ format: 'xml' })).toBe(invalid);
    expect(codeOf({ onReject: 'nope' })).toBe(invalid);
    expect(codeOf({ clock: 5 })).toBe(invalid);
    expect(codeOf({ concurrencyLimit: 0 })).toBe(invalid);
    expect(codeOf({ concurrencyLimit: 2.5 })).toBe(invalid);
    expect(codeOf({ concurrencyLimit: '4' })).toBe(invalid);
    expect(codeOf({ concurrencyLimit: { tolerance: 1 } })).toBe(invalid);
    expect(codeOf({ concurrencyLimit: { windowMs: Number.NaN } })).toBe(invalid);
    expect(codeOf({ concurrencyLimit: { latencySignal: 'never' } })).toBe(invalid);
    expect(codeOf({ queue: { maxLength: 0 } })).toBe(invalid);
    expect(codeOf({ queue: true })).toBe(invalid);
    expect(codeOf({ turnBudgetMs: 0 })).toBe(invalid);
    expect(codeOf({ signals: { intervalMs: 1 } })).toBe(invalid);
    expect(codeOf({ signals: { eventLoopDelayPercentile: 101 } })).toBe(invalid);
    expect(codeOf({ signals: { resolutionMs: 0 } })).toBe(invalid);
    expect(codeOf({ signals: 100 })).toBe(invalid);
    expect(codeOf({ thresholds: { eventLoopUtilization: 1.5 } })).toBe(invalid);
    expect(codeOf({ thresholds: { rssBytes: -1 } })).toBe(invalid);
    expect(codeOf({ thresholds: { heapUsedBytes: { high: 10 } } })).toBe(invalid);
    expect(codeOf({ exempt: ['health'] })).toBe(invalid);
    expect(codeOf({ exempt: '/health' })).toBe(invalid);
    expect(codeOf({ liveness: [42] })).toBe(invalid);
    expect(codeOf({ classify: 'critical' })).toBe(invalid);
    expect(codeOf({ retryAfter: { jitter: -1 } })).toBe(invalid);
  });

  it('accepts the values at the edges of each range', () => {
    expect(codeOf({ concurrencyLimit: 4 })).toBeUndefined();
    expect(codeOf({ queue: false })).toBeUndefined();
    expect(codeOf({ thresholds: { eventLoopUtilization: 1, heapUsedBytes: 1e9 } })).toBeUndefined();
    expect(codeOf({ exempt: () => false, liveness: [] })).toBeUndefined();
    expect(codeOf({ retryAfter: { minSeconds: 0, jitter: 0 } })).toBeUndefined();
  });

  it('refuses limits that contradict each other with LBKIT_SHEDDING_LIMIT_INVALID', () => {
    const code = 'LBKIT_SHEDDING_LIMIT_INVALID';
    expect(codeOf({ concurrencyLimit: { min: 10, max: 5 } })).toBe(code);
    expect(codeOf({ concurrencyLimit: { initial: 50, max: 10 } })).toBe(code);
    expect(codeOf({ concurrencyLimit: { growBelow: 2, tolerance: 1.5 } })).toBe(code);
  });

  it('refuses a queue whose target is not below its interval with LBKIT_SHEDDING_QUEUE_INVALID', () => {
    expect(codeOf({ queue: { targetMs: 100, intervalMs: 100 } })).toBe('LBKIT_SHEDDING_QUEUE_INVALID');
  });

  it('refuses a threshold without room for hysteresis with LBKIT_SHEDDING_THRESHOLD_INVALID', () => {
    expect(codeOf({ thresholds: { heapUsedBytes: { high: 10, low: 10 } } })).toBe(
      'LBKIT_SHEDDING_THRESHOLD_INVALID',
    );
  });

  it('refuses Retry-After bounds the wrong way round with LBKIT_SHEDDING_RETRY_AFTER_INVALID', () => {
    expect(codeOf({ retryAfter: { minSeconds: 10, maxSeconds: 5 } })).toBe(
      'LBKIT_SHEDDING_RETRY_AFTER_INVALID',
    );
  });
});

describe('overloadCheck options', () => {
  it('refuses a bad name, status, sustainedMs or minShedRatio with LBKIT_SHEDDING_OPTION_INVALID', () => {
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
    expect(code({ name: 'has space' })).toBe('LBKIT_SHEDDING_OPTION_INVALID');
    expect(code({ name: 5 })).toBe('LBKIT_SHEDDING_OPTION_INVALID');
    expect(code({ status: 'pass' })).toBe('LBKIT_SHEDDING_OPTION_INVALID');
    expect(code({ sustainedMs: -1 })).toBe('LBKIT_SHEDDING_OPTION_INVALID');
    expect(code({ minShedRatio: 2 })).toBe('LBKIT_SHEDDING_OPTION_INVALID');
    expect(code({ status: 'fail', sustainedMs: 0 })).toBeUndefined();
  });
});
