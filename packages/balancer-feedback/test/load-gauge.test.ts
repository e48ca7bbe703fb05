import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLoadGauge } from '@lbkit/balancer-feedback';
import { isLbkitError, Lifecycle } from '@lbkit/core';
import { describe, expect, it } from 'vitest';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isLbkitError(error) ? error.code : 'not an LbkitError';
  }
  return undefined;
}

describe('createLoadGauge', () => {
  it('reads requests in flight from the lifecycle of a real server against a fixed limit', async () => {
    const lifecycle = new Lifecycle();
    const release: Array<() => void> = [];
    const server = createServer((_req, res) => release.push(() => res.end('ok')));
    lifecycle.inFlight.attach(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const read = createLoadGauge({ lifecycle, concurrencyLimit: 4 });
    expect(read()).toEqual({ state: 'starting', inFlight: 0, queued: 0, limit: 4, utilization: 0 });
    const done = Array.from(
      { length: 3 },
      () =>
        new Promise<void>((resolve) => {
          request({ port, host: '127.0.0.1', path: '/' }, (res) => res.resume().on('end', resolve)).end();
        }),
    );
    while (release.length < 3) await new Promise((r) => setTimeout(r, 5));
    lifecycle.markReady();
    expect(read()).toMatchObject({ state: 'ready', inFlight: 3, utilization: 0.75 });
    for (const r of release) r();
    await Promise.all(done);
    expect(read().inFlight).toBe(0);
    server.close();
  });

  it('takes limit, slots and queue from a shedder', () => {
    const lifecycle = new Lifecycle();
    const shedder = { limit: 8, inFlight: 6, queued: 6 };
    const read = createLoadGauge({ lifecycle, shedder });
    expect(read()).toMatchObject({ inFlight: 6, queued: 6, limit: 8, utilization: 1.5 });
  });

  it('reads a limit function at every report and ignores values that are not positive numbers', () => {
    let limit = 10;
    const lifecycle = new Lifecycle();
    const read = createLoadGauge({ lifecycle, concurrencyLimit: () => limit });
    expect(read().limit).toBe(10);
    limit = 20;
    expect(read().limit).toBe(20);
    limit = Number.NaN;
    expect(read()).toMatchObject({ limit: undefined, utilization: 0 });
  });

  it('reports no limit and no utilisation when given neither a limit nor a shedder', () => {
    expect(createLoadGauge({ lifecycle: new Lifecycle() })()).toMatchObject({
      limit: undefined,
      utilization: 0,
    });
  });

  it('refuses a bad limit, a shedder-like object without numbers, and both sources at once', () => {
    const lifecycle = new Lifecycle();
    expect(codeOf(() => createLoadGauge({ lifecycle, concurrencyLimit: 0 }))).toBe(
      'LBKIT_FEEDBACK_LIMIT_INVALID',
    );
    expect(codeOf(() => createLoadGauge({ lifecycle, concurrencyLimit: Number.POSITIVE_INFINITY }))).toBe(
      'LBKIT_FEEDBACK_LIMIT_INVALID',
    );
    expect(codeOf(() => createLoadGauge({ lifecycle, shedder: { limit: 1 } as never }))).toBe(
      'LBKIT_FEEDBACK_SHEDDER_INVALID',
    );
    expect(
      codeOf(() =>
        createLoadGauge({ lifecycle, concurrencyLimit: 5, shedder: { limit: 1, inFlight: 0, queued: 0 } }),
      ),
    ).toBe('LBKIT_FEEDBACK_LIMIT_CONFLICT');
  });
});
