// PM2 messages over a real IPC channel, node:cluster rolling reloads and respawns, and uncaught errors.
import { Agent, request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/ports.js';
import { ensureBuilt, type Fixture, portOf, startFixture } from './child.js';

let running: Fixture[] = [];
function track(fixture: Fixture): Fixture {
  running.push(fixture);
  return fixture;
}

beforeAll(ensureBuilt, 120_000);
afterEach(() => {
  for (const fixture of running) fixture.kill('SIGKILL');
  running = [];
});

describe('PM2 (simulated over a forked IPC channel)', () => {
  it("sends 'ready' after listening and drains on PM2's 'shutdown' message, exit 0", async () => {
    const fixture = track(startFixture('server.mjs', {}, { ipc: true, env: { pm_id: '0' } }));
    const messages: unknown[] = [];
    fixture.child.on('message', (message) => messages.push(message));
    const port = await portOf(fixture);
    await expect.poll(() => messages).toEqual(['ready']);
    const slow = request(`http://127.0.0.1:${port}/slow?ms=400`);
    await fixture.waitFor((e) => e.event === 'request' && e.ms === 400);
    fixture.child.send('shutdown');
    expect((await slow).statusCode).toBe(200);
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
    expect(fixture.events.find((e) => e.event === 'result')).toMatchObject({
      reason: 'shutdown-message',
      exitCode: 0,
    });
  });

  it('does not talk over IPC when not under PM2 or node:cluster', async () => {
    const fixture = track(startFixture('server.mjs', {}, { ipc: true }));
    const messages: unknown[] = [];
    fixture.child.on('message', (message) => messages.push(message));
    await portOf(fixture);
    fixture.child.send('shutdown');
    // The message reaches the fixture's own listener, but gracefulShutdown ignores it.
    await fixture.waitFor((e) => e.event === 'message');
    expect(messages).toEqual([]);
    expect(fixture.events.some((e) => e.event === 'phase')).toBe(false);
    fixture.kill('SIGTERM');
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
  });
});

describe('uncaught errors with handleUncaught', () => {
  it.each([
    ['/throw', 'uncaughtException', 'fixture: boom'],
    ['/reject', 'unhandledRejection', 'fixture: rejected'],
  ])(
    '%s: logs the %s, lets in-flight work finish within the short timeout, exits 1',
    async (path, origin, text) => {
      const fixture = track(
        startFixture('server.mjs', { handleUncaught: { drainTimeoutMs: 2000 }, drainDelayMs: 5000 }),
      );
      const port = await portOf(fixture);
      const slow = request(`http://127.0.0.1:${port}/slow?ms=300`);
      await fixture.waitFor((e) => e.event === 'request' && e.ms === 300);
      await request(`http://127.0.0.1:${port}${path}`).then((r) => r.body.text());
      expect((await slow).statusCode).toBe(200);
      expect(await fixture.exited).toEqual({ code: 1, signal: null });
      expect(fixture.stderr()).toContain(origin);
      expect(fixture.stderr()).toContain(text);
      // No drain delay on this path: the process state is unknown.
      const delay = fixture.events.find((e) => e.event === 'phase' && e.phase === 'delay-elapsed');
      expect(delay?.durationMs).toBeLessThan(1000);
    },
  );
});

describe('node:cluster primary', () => {
  it('rolls a reload on SIGHUP under keep-alive load without a failed request, then drains on SIGTERM', async () => {
    const port = await freePort();
    const fixture = track(startFixture('cluster.mjs', { port, workers: 2, drainDelayMs: 200 }));
    await fixture.waitFor((e) => e.event === 'all-ready', 15_000);
    const before = new Set(fixture.events.filter((e) => e.event === 'worker-ready').map((e) => e.pid));
    const agent = new Agent({ connections: 6, keepAliveTimeout: 30_000 });
    const failures: string[] = [];
    const pidsAfter = new Set<number>();
    let reloaded = false;
    let stop = false;
    let count = 0;
    const loop = async (): Promise<void> => {
      while (!stop) {
        const ms = Math.floor(Math.random() * 80);
        try {
          const response = await request(`http://127.0.0.1:${port}/slow?ms=${ms}`, { dispatcher: agent });
          const body = (await response.body.json()) as { pid: number };
          if (response.statusCode !== 200) failures.push(`status ${response.statusCode}`);
          if (reloaded) pidsAfter.add(body.pid);
          count++;
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const loops = Array.from({ length: 6 }, loop);
    await new Promise((r) => setTimeout(r, 300));
    fixture.kill('SIGHUP');
    const result = await fixture.waitFor((e) => e.event === 'reloaded', 20_000);
    reloaded = true;
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(loops);
    await agent.close();
    expect(result).toMatchObject({ ok: true, replaced: 2 });
    expect(failures).toEqual([]);
    expect(count).toBeGreaterThan(50);
    const planned = fixture.events.filter((e) => e.event === 'worker-exit');
    expect(planned.map((e) => [e.planned, e.code])).toEqual([
      [true, 0],
      [true, 0],
    ]);
    for (const pid of pidsAfter) expect(before.has(pid)).toBe(false);
    fixture.kill('SIGTERM');
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
  });

  it('replaces a worker that dies unexpectedly', async () => {
    const port = await freePort();
    const fixture = track(startFixture('cluster.mjs', { port, workers: 1 }));
    const first = await fixture.waitFor((e) => e.event === 'worker-ready', 15_000);
    await request(`http://127.0.0.1:${port}/crash`).catch(() => {});
    const respawn = await fixture.waitFor((e) => e.event === 'respawn');
    expect(respawn).toMatchObject({ slot: 0, attempt: 1 });
    const second = await fixture.waitFor((e) => e.event === 'worker-ready' && e.pid !== first.pid, 15_000);
    const response = await request(`http://127.0.0.1:${port}/`);
    expect(await response.body.json()).toMatchObject({ pid: second.pid });
    fixture.kill('SIGTERM');
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
  });

  it('kills a worker that does not exit within stopTimeoutMs (SIGKILL), then exits', async () => {
    const port = await freePort();
    const fixture = track(
      startFixture('cluster.mjs', { port, workers: 1, ignoreShutdown: true, stopTimeoutMs: 300 }),
    );
    const ready = await fixture.waitFor((e) => e.event === 'worker-ready', 15_000);
    fixture.kill('SIGTERM');
    const exit = await fixture.waitFor((e) => e.event === 'worker-exit', 15_000);
    expect(exit).toMatchObject({ pid: ready.pid, signal: 'SIGKILL', planned: true });
    expect((await fixture.exited).signal).toBeNull();
  });

  it('backs off when workers crash on start, instead of spinning', async () => {
    const port = await freePort();
    const respawn = { initialDelayMs: 50, factor: 2, maxDelayMs: 200 };
    const fixture = track(startFixture('cluster.mjs', { port, workers: 1, crashOnStart: true, respawn }));
    await fixture.waitFor((e) => e.event === 'respawn' && e.attempt === 5, 15_000);
    const delays = fixture.events.filter((e) => e.event === 'respawn').map((e) => e.delayMs);
    expect(delays.slice(0, 5)).toEqual([50, 100, 200, 200, 200]);
    fixture.kill('SIGTERM');
    const exit = await fixture.exited;
    expect(exit.signal).toBeNull();
  });
});
