// concurrencyLimit: false — under-pressure's model: shed on thresholds, the pressure source and `stopped` only,
// with no limit, no queue and nothing tracked per request.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lifecycle } from '@lbkit/core';
import { LoadShedder, type LoadSheddingOptions } from '@lbkit/shedding';
import { afterEach, describe, expect, it } from 'vitest';
import { type Handler, type Served, serveShedder } from './helpers/served-shedder.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server whose every request goes through a thresholds-only shedder; `handle` answers the admitted ones. */
function serve(options: LoadSheddingOptions, handle: Handler): Promise<Served> {
  return serveShedder({ concurrencyLimit: false, ...options }, handle, cleanups);
}

/** The 'close' and 'finish' listeners Node itself puts on a response, as a handler sees them. */
async function nodeOwnListeners(): Promise<number> {
  let count = -1;
  const server = createServer((_req, res) => {
    count = res.listeners('close').length + res.listeners('finish').length;
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)).text();
  server.closeAllConnections();
  server.close();
  return count;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await sleep(5);
  if (!condition()) throw new Error('condition not met in time');
}

describe('LoadShedder with concurrencyLimit: false', () => {
  it('admits every concurrent request at once, with no listener on the response and nothing tracked', async () => {
    const listeners: number[] = [];
    let running = 0;
    let most = 0;
    const { url, shedder, lifecycle } = await serve({}, (_req, res) => {
      listeners.push(res.listeners('close').length + res.listeners('finish').length);
      running++;
      most = Math.max(most, running);
      setTimeout(() => {
        running--;
        res.end('ok');
      }, 50);
    });
    // Far above the adaptive limit's initial 20: with a limit, some would wait or be shed.
    const statuses = await Promise.all(Array.from({ length: 60 }, () => fetch(url).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(most).toBe(60);
    expect(new Set(listeners)).toEqual(new Set([await nodeOwnListeners()]));
    const snapshot = shedder.snapshot();
    expect(snapshot.admitted).toBe(60);
    expect(snapshot.limit).toBe(Number.POSITIVE_INFINITY);
    expect(snapshot.queued).toBe(0);
    expect(lifecycle.inFlight.requests).toBe(0);
  });

  it('sheds all but critical requests while the pressure source says so, and admits again when it clears', async () => {
    let pressed = false;
    const { url, shedder } = await serve(
      {
        underPressure: () => pressed,
        signals: { intervalMs: 10 },
        classify: (req) => (req.url === '/pay' ? 'critical' : 'default'),
      },
      (_req, res) => res.end('ok'),
    );
    expect((await fetch(`${url}/work`)).status).toBe(200);
    pressed = true;
    await until(() => shedder.isUnderPressure());
    const shed = await fetch(`${url}/work`);
    expect(shed.status).toBe(503);
    expect(await shed.json()).toEqual({ error: 'Service Unavailable', reason: 'backstop' });
    // No completions are counted to estimate a drain from: the jittered minimum (1 s, +50%).
    expect(['1', '2']).toContain(shed.headers.get('retry-after'));
    expect((await fetch(`${url}/pay`)).status).toBe(200);
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    pressed = false;
    await until(() => !shedder.isUnderPressure());
    expect((await fetch(`${url}/work`)).status).toBe(200);
    expect(shedder.snapshot().rejected.backstop).toBe(1);
  });

  it('sheds every request, critical ones too, once the lifecycle is stopped', async () => {
    const { url, lifecycle } = await serve({ classify: () => 'critical' }, (_req, res) => res.end('ok'));
    expect((await fetch(url)).status).toBe(200);
    lifecycle.markReady();
    lifecycle.beginDrain();
    lifecycle.markStopped();
    const shed = await fetch(url);
    expect(shed.status).toBe(503);
    expect(((await shed.json()) as { reason: string }).reason).toBe('stopped');
  });

  it('refuses the options that need a limit, naming the one given, and accepts those that say "none"', () => {
    const lifecycle = new Lifecycle();
    for (const [name, value] of [
      ['queue', { targetMs: 5 }],
      ['turnBudgetMs', 4],
      ['slowStartMs', 10_000],
      ['slowStartFloor', 0.2],
      ['slowStartAggression', 2],
    ] as const) {
      let thrown: unknown;
      try {
        new LoadShedder({ lifecycle, concurrencyLimit: false, [name]: value }).close();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'LBKIT_SHEDDING_LIMIT_INVALID' });
      expect((thrown as Error).message).toContain(name);
    }
    new LoadShedder({ lifecycle, concurrencyLimit: false, queue: false, slowStartMs: 0 }).close();
  });
});
