// exitBySignal (issue #15): a clean drain started by a signal ends the process by that signal, as terminus's useExit0: false.
import { createServer } from 'node:http';
import { isLbkitError } from '@lbkit/core';
import { gracefulShutdown } from '@lbkit/shutdown';
import { request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, type Fixture, phasesOf, portOf, startFixture } from './child.js';

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

describe('gracefulShutdown with exitBySignal', () => {
  it('ends a clean drain started by SIGTERM by SIGTERM, after answering the request in flight', async () => {
    const fixture = start({ exitBySignal: true });
    const port = await portOf(fixture);
    const slow = request(`http://127.0.0.1:${port}/slow?ms=300`);
    await fixture.waitFor((e) => e.event === 'request' && e.ms === 300);
    fixture.kill('SIGTERM');
    expect((await slow).statusCode).toBe(200);
    expect(await fixture.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(phasesOf(fixture)).toContain('drained');
  });

  it('ends by SIGINT when SIGINT started it', async () => {
    const fixture = start({ exitBySignal: true });
    await portOf(fixture);
    fixture.kill('SIGINT');
    expect(await fixture.exited).toEqual({ code: null, signal: 'SIGINT' });
  });

  it('still exits 1 when the drain had to force', async () => {
    const fixture = start({ exitBySignal: true, drainTimeoutMs: 200 });
    const port = await portOf(fixture);
    const cut = request(`http://127.0.0.1:${port}/slow?ms=5000`).catch(() => undefined);
    await fixture.waitFor((e) => e.event === 'request' && e.ms === 5000);
    fixture.kill('SIGTERM');
    expect(await fixture.exited).toEqual({ code: 1, signal: null });
    await cut;
  });

  it('exits 0 by default, as before', async () => {
    const fixture = start({});
    await portOf(fixture);
    fixture.kill('SIGTERM');
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses a value that is not a boolean with LBKIT_SHUTDOWN_OPTION_INVALID', () => {
    const attempt = (): unknown =>
      gracefulShutdown(createServer(), { exitBySignal: 'SIGTERM' as never, signals: [] });
    expect(attempt).toThrow(expect.objectContaining({ code: 'LBKIT_SHUTDOWN_OPTION_INVALID' }));
    try {
      attempt();
    } catch (error) {
      expect(isLbkitError(error, 'LBKIT_SHUTDOWN_OPTION_INVALID')).toBe(true);
    }
  });
});
