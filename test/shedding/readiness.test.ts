// Sustained shedding turns @lbkit/health's readiness to warn (or fail); liveness stays 200 throughout.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lifecycle } from '@lbkit/core';
import { createHealth } from '@lbkit/health';
import { LoadShedder, overloadCheck } from '@lbkit/shedding';
import { afterEach, describe, expect, it } from 'vitest';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server whose one slot is held by a slow request, so every other non-probe request is shed. */
async function saturated(status: 'warn' | 'fail'): Promise<{ url: string; shedder: LoadShedder }> {
  const lifecycle = new Lifecycle();
  const shedder = new LoadShedder({ lifecycle, concurrencyLimit: 1, queue: false });
  const health = createHealth({
    lifecycle,
    checks: [overloadCheck(shedder, { status, sustainedMs: 400 })],
    cacheMs: 0,
    trustedNetworks: ['127.0.0.1'],
  });
  const server: Server = createServer((req, res) => {
    shedder.admit(req, res, () => {
      if (health.handle(req, res)) return;
      setTimeout(() => res.end('done'), 2000).unref();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  lifecycle.markReady();
  cleanups.push(async () => {
    shedder.close();
    await health.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  void fetch(`${url}/busy`).catch(() => {});
  while (shedder.inFlight === 0) await sleep(5);
  return { url, shedder };
}

async function shedFor(url: string, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    expect((await fetch(`${url}/work`)).status).toBe(503);
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    await sleep(20);
  }
}

type Report = { status: string; checks: Record<string, Array<{ status: string; observedUnit?: string }>> };

describe('overloadCheck with @lbkit/health', () => {
  it('keeps readiness 200 and pass during a short burst of shedding', async () => {
    const { url } = await saturated('warn');
    await shedFor(url, 150);
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as Report).status).toBe('pass');
  });

  it('turns readiness to warn (HTTP 200) once shedding is sustained, and never touches liveness', async () => {
    const { url } = await saturated('warn');
    await shedFor(url, 600);
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    const report = (await ready.json()) as Report;
    expect(report.status).toBe('warn');
    expect(report.checks['shedding:overload']?.[0]).toMatchObject({
      status: 'warn',
      observedUnit: 'percent',
    });
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
  });

  it('fails readiness (HTTP 503) when configured to take the instance out of rotation', async () => {
    const { url } = await saturated('fail');
    await shedFor(url, 600);
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as Report).status).toBe('fail');
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
  });
});
