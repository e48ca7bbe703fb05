// Drain holds (issue #15, lightship's beacons): work outside HTTP requests keeps the drain open until released.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, type Fixture, portOf, startFixture } from './child.js';

let running: Fixture[] = [];
function start(config: Record<string, unknown>): Fixture {
  const fixture = startFixture('server.mjs', config);
  running.push(fixture);
  return fixture;
}

beforeAll(ensureBuilt, 120_000);
afterEach(() => {
  for (const fixture of running) fixture.kill('SIGKILL');
  running = [];
});

function eventIndex(fixture: Fixture, test: (event: Record<string, unknown>) => boolean): number {
  return fixture.events.findIndex(test);
}

describe('gracefulShutdown and lifecycle.hold()', () => {
  it('waits for a live hold before it reports drained, then exits 0', async () => {
    const fixture = start({ holds: [{ name: 'invoice-job', releaseAfterDrainMs: 300 }] });
    await portOf(fixture);
    fixture.kill('SIGTERM');
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
    const released = eventIndex(fixture, (e) => e.event === 'hold-released');
    const drained = eventIndex(fixture, (e) => e.event === 'phase' && e.phase === 'drained');
    expect(released).toBeGreaterThanOrEqual(0);
    expect(drained).toBeGreaterThan(released);
    const result = fixture.events.find((e) => e.event === 'result');
    expect(result).toMatchObject({ exitCode: 0, forced: false, forcedHolds: 0 });
  });

  it('forces at drainTimeoutMs when a hold is never released: forced, forcedHolds 1, exit 1', async () => {
    const fixture = start({ drainTimeoutMs: 300, holds: [{ name: 'stuck-cron' }] });
    await portOf(fixture);
    fixture.kill('SIGTERM');
    expect(await fixture.exited).toEqual({ code: 1, signal: null });
    expect(fixture.events.find((e) => e.event === 'result')).toMatchObject({
      exitCode: 1,
      forced: true,
      forcedHolds: 1,
      forcedRequests: 0,
    });
    expect(fixture.events.some((e) => e.event === 'phase' && e.phase === 'drained')).toBe(false);
  });

  it('lets a hold go at its own timeoutMs: the drain then ends cleanly, exit 0', async () => {
    const fixture = start({ drainTimeoutMs: 20_000, holds: [{ name: 'bounded-job', timeoutMs: 200 }] });
    await portOf(fixture);
    fixture.kill('SIGTERM');
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
    expect(fixture.events.find((e) => e.event === 'result')).toMatchObject({ forced: false, forcedHolds: 0 });
  });
});
