// lifecycle.hold(): work outside HTTP requests holds the drain until released or past its own bound.
import { isLbkitError, Lifecycle } from '@lbkit/core';
import { describe, expect, it } from 'vitest';

describe('lifecycle.hold()', () => {
  it('counts live holds and resolves released() once the last is released', async () => {
    const lifecycle = new Lifecycle();
    const first = lifecycle.hold('invoice-job 1');
    const second = lifecycle.hold('nightly-report');
    expect(lifecycle.holds.count).toBe(2);
    expect(lifecycle.holds.list().map((hold) => hold.name)).toEqual(['invoice-job 1', 'nightly-report']);
    let released = false;
    const done = lifecycle.holds.released().then(() => {
      released = true;
    });
    first();
    await Promise.resolve();
    expect(released).toBe(false);
    second();
    await done;
    expect(lifecycle.holds.count).toBe(0);
  });

  it('resolves released() at once when nothing holds the drain', async () => {
    await expect(new Lifecycle().holds.released()).resolves.toBeUndefined();
  });

  it('lets go of a hold by itself at its timeoutMs and says so with an expire event', async () => {
    const lifecycle = new Lifecycle();
    const expired = new Promise<string>((resolve) =>
      lifecycle.holds.once('expire', (hold) => resolve(hold.name)),
    );
    const release = lifecycle.hold('stuck-consumer', { timeoutMs: 1 });
    await expect(expired).resolves.toBe('stuck-consumer');
    expect(lifecycle.holds.count).toBe(0);
    release();
    expect(lifecycle.holds.count).toBe(0);
  });

  it('treats a second release as a no-op, and emits release and idle once', () => {
    const lifecycle = new Lifecycle();
    const events: string[] = [];
    lifecycle.holds.on('release', (hold) => events.push(`release ${hold.name}`));
    lifecycle.holds.on('idle', () => events.push('idle'));
    const release = lifecycle.hold('job');
    release();
    release();
    expect(events).toEqual(['release job', 'idle']);
  });

  it('never keeps the process alive while a bounded hold waits', () => {
    const before = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const release = new Lifecycle().hold('job', { timeoutMs: 60_000 });
    expect(process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length).toBe(before);
    release();
  });

  it('remembers when the drain ends at the latest, for Retry-After', () => {
    const lifecycle = new Lifecycle();
    expect(lifecycle.holds.endsAt).toBeUndefined();
    lifecycle.holds.endBy(12_345);
    expect(lifecycle.holds.endsAt).toBe(12_345);
  });

  it('refuses a missing name, an unknown option and a bad timeoutMs with coded errors', () => {
    const lifecycle = new Lifecycle();
    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (error) {
        return isLbkitError(error) ? error.code : 'not an LbkitError';
      }
      return undefined;
    };
    expect(codeOf(() => lifecycle.hold(undefined as unknown as string))).toBe('LBKIT_CORE_OPTION_INVALID');
    expect(codeOf(() => lifecycle.hold(''))).toBe('LBKIT_CORE_OPTION_INVALID');
    expect(codeOf(() => lifecycle.hold('job', { timeoutMs: 0 }))).toBe('LBKIT_CORE_OPTION_INVALID');
    expect(() => lifecycle.hold('job', { timeout: 5 } as never)).toThrow(/did you mean "timeoutMs"/);
    expect(lifecycle.holds.count).toBe(0);
  });
});
