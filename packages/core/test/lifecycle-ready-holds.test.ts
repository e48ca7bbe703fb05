// Lifecycle.holdReady(): a markReady() waits for every hold on ready, as the warm-up of @lbkit/health uses it.
import { Lifecycle } from '@lbkit/core';
import { describe, expect, it } from 'vitest';

describe('Lifecycle.holdReady', () => {
  it('defers markReady() until the last hold is released, with the reason it was given', () => {
    const lifecycle = new Lifecycle();
    const reasons: (string | undefined)[] = [];
    lifecycle.on('ready', ({ reason }) => reasons.push(reason));
    const first = lifecycle.holdReady('warm-up');
    const second = lifecycle.holdReady('cache');
    expect(lifecycle.readyHolds).toEqual(['warm-up', 'cache']);
    lifecycle.markReady('listening');
    expect(lifecycle.state).toBe('starting');
    first();
    first(); // twice is once
    expect(lifecycle.state).toBe('starting');
    second();
    expect(lifecycle.state).toBe('ready');
    expect(reasons).toEqual(['listening']);
    expect(lifecycle.readyHolds).toEqual([]);
  });

  it('releasing without a markReady() leaves the lifecycle starting', () => {
    const lifecycle = new Lifecycle();
    lifecycle.holdReady('warm-up')();
    expect(lifecycle.state).toBe('starting');
    lifecycle.markReady();
    expect(lifecycle.state).toBe('ready');
  });

  it('a drain during a hold wins: the release does not make a draining instance ready', () => {
    const lifecycle = new Lifecycle();
    const release = lifecycle.holdReady('warm-up');
    lifecycle.markReady();
    lifecycle.beginDrain('SIGTERM');
    release();
    expect(lifecycle.state).toBe('draining');
  });

  it('a hold taken once ready has no effect', () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const release = lifecycle.holdReady('late');
    expect(lifecycle.readyHolds).toEqual([]);
    release();
    expect(lifecycle.state).toBe('ready');
  });
});
