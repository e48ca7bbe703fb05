// The 503: Retry-After from the time to drain, bounded and jittered; small prebuilt bodies.
import { describe, expect, it } from 'vitest';
import { buildBodies, makeRejection, RETRY_AFTER_DEFAULTS, retryAfterSeconds } from '../src/rejection.js';

describe('retryAfterSeconds', () => {
  const settings = { minSeconds: 1, maxSeconds: 30, jitter: 0.5 };

  it('never goes below minSeconds or above maxSeconds', () => {
    expect(retryAfterSeconds(0, settings, 0)).toBe(1);
    expect(retryAfterSeconds(Number.POSITIVE_INFINITY, settings, 0.99)).toBe(30);
  });

  it('grows with the estimated time to drain', () => {
    expect(retryAfterSeconds(8000, settings, 0)).toBe(8);
    expect(retryAfterSeconds(8000, settings, 0.99)).toBe(12);
  });

  it('spreads clients shed together over different retry times', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) seen.add(retryAfterSeconds(4000, settings, i / 20));
    expect(seen.size).toBeGreaterThanOrEqual(2);
  });

  it('defaults to 1–30 s with 50% jitter', () => {
    expect(RETRY_AFTER_DEFAULTS).toEqual(settings);
  });
});

describe('makeRejection', () => {
  it('builds a small JSON 503 naming the reason, with Retry-After and no-store', () => {
    const r = makeRejection('queue-timeout', 'default', 2, buildBodies('json'));
    expect(r.statusCode).toBe(503);
    expect(JSON.parse(r.body.toString())).toEqual({ error: 'Service Unavailable', reason: 'queue-timeout' });
    expect(r.headers['retry-after']).toBe('2');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['content-length']).toBe(r.body.length);
    expect(r.body.length).toBeLessThan(100);
  });

  it('builds a text body when asked', () => {
    const r = makeRejection('overloaded', 'sheddable', 1, buildBodies('text'));
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.body.toString()).toContain('overloaded');
    expect(r.priority).toBe('sheddable');
  });
});
