import { defaultLifecycle, InFlight, isLbkitError, Lifecycle, type LifecycleTransition } from '@lbkit/core';
import { describe, expect, it } from 'vitest';

describe('Lifecycle', () => {
  it('starts in starting and is accepting', () => {
    const lifecycle = new Lifecycle();
    expect(lifecycle.state).toBe('starting');
    expect(lifecycle.accepting).toBe(true);
  });

  it('emits transition and a per-state event on every change, with the reason', () => {
    const lifecycle = new Lifecycle();
    const seen: LifecycleTransition[] = [];
    const draining: LifecycleTransition[] = [];
    lifecycle.on('transition', (t) => seen.push(t));
    lifecycle.on('draining', (t) => draining.push(t));
    lifecycle.markReady();
    lifecycle.beginDrain('SIGTERM');
    lifecycle.markStopped();
    expect(seen.map((t) => `${t.from}>${t.to}`)).toEqual([
      'starting>ready',
      'ready>draining',
      'draining>stopped',
    ]);
    expect(draining).toHaveLength(1);
    expect(draining[0]?.reason).toBe('SIGTERM');
    expect(lifecycle.accepting).toBe(false);
  });

  it('treats a repeated transition as a no-op without an event', () => {
    const lifecycle = new Lifecycle();
    let events = 0;
    lifecycle.on('transition', () => events++);
    lifecycle.beginDrain();
    lifecycle.beginDrain();
    expect(events).toBe(1);
  });

  it('may drain straight from starting (SIGTERM during startup)', () => {
    const lifecycle = new Lifecycle();
    lifecycle.beginDrain();
    expect(lifecycle.state).toBe('draining');
  });

  it('refuses to move backwards with LBKIT_CORE_LIFECYCLE_BACKWARDS', () => {
    const lifecycle = new Lifecycle();
    lifecycle.beginDrain();
    let caught: unknown;
    try {
      lifecycle.markReady();
    } catch (error) {
      caught = error;
    }
    expect(isLbkitError(caught, 'LBKIT_CORE_LIFECYCLE_BACKWARDS')).toBe(true);
    expect(lifecycle.state).toBe('draining');
  });

  it('reached() resolves at the state or any later one', async () => {
    const lifecycle = new Lifecycle();
    const ready = lifecycle.reached('ready');
    let resolved = false;
    void ready.then(() => {
      resolved = true;
    });
    await Promise.resolve();
    expect(resolved).toBe(false);
    lifecycle.beginDrain();
    await ready;
    await expect(lifecycle.reached('starting')).resolves.toBeUndefined();
  });

  it('defaultLifecycle() returns one shared instance', () => {
    expect(defaultLifecycle()).toBe(defaultLifecycle());
    expect(defaultLifecycle()).toBeInstanceOf(Lifecycle);
  });

  it('owns an in-flight tracker, or uses the one given', async () => {
    const { InFlight } = await import('@lbkit/core');
    const inFlight = new InFlight();
    expect(new Lifecycle({ inFlight }).inFlight).toBe(inFlight);
    expect(new Lifecycle().inFlight).toBeInstanceOf(InFlight);
  });
});

describe('new Lifecycle() options', () => {
  it('refuses an unknown option, naming the closest known one', () => {
    let error: unknown;
    try {
      new Lifecycle({ inflight: new InFlight() } as never);
    } catch (thrown) {
      error = thrown;
    }
    expect(isLbkitError(error, 'LBKIT_CORE_OPTION_UNKNOWN')).toBe(true);
    expect((error as Error).message).toContain('did you mean "inFlight"?');
  });

  it('refuses an inFlight that is not an InFlight', () => {
    expect(() => new Lifecycle({ inFlight: {} as never })).toThrow(/LBKIT_CORE_OPTION_INVALID/);
  });
});
