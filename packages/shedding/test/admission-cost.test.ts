// What admission adds to each response: nothing of the shedder's own (InFlight's one listener tells it of the end).
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { LoadShedder } from '@lbkit/shedding';
import { describe, expect, it } from 'vitest';

/** The 'close' listeners of each response, as its handler sees them, and the shedders' in-flight counts after. */
async function serve(shedders: LoadShedder[], lifecycle: Lifecycle | undefined, requests: number) {
  const seen: unknown[][] = [];
  const server = createServer((req, res: ServerResponse) => {
    const handle = (): void => {
      seen.push(res.listeners('close'));
      res.end('ok');
    };
    // Each shedder in turn, as two loadShedding() middlewares on one route would.
    const chain = shedders.reduceRight<() => void>(
      (next, shedder) => () => shedder.admit(req, res, next),
      handle,
    );
    if (shedders.length === 0) lifecycle?.inFlight.track(req, res);
    chain();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  for (let i = 0; i < requests; i++) await (await fetch(`http://127.0.0.1:${port}/`)).text();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  return seen;
}

describe('LoadShedder admission cost', () => {
  it('adds no listener to an admitted response beyond the tracking one, and releases its slot at the end', async () => {
    // The tracking one: InFlight's listener, there while someone must hear of each request's end.
    const eager = new Lifecycle();
    eager.inFlight.on('requestEnd', () => {});
    const tracked = await serve([], eager, 1);
    expect(tracked[0]).toHaveLength(1);
    const lifecycle = new Lifecycle();
    const shedder = new LoadShedder({ lifecycle, concurrencyLimit: 1 });
    const admitted = await serve([shedder], undefined, 3);
    shedder.close();
    expect(admitted).toHaveLength(3);
    for (const listeners of admitted) expect(listeners.length).toBe(tracked[0]?.length);
    expect(shedder.inFlight).toBe(0);
    expect(shedder.snapshot().admitted).toBe(3);
  });

  it('counts each request once per shedder when two shedders share a lifecycle and a request', async () => {
    const lifecycle = new Lifecycle();
    const outer = new LoadShedder({ lifecycle, concurrencyLimit: 1, queue: false });
    const inner = new LoadShedder({ lifecycle, concurrencyLimit: 1, queue: false });
    // With a limit of 1 and no queue, a slot either shedder failed to release would shed the next request.
    const seen = await serve([outer, inner], undefined, 3);
    outer.close();
    inner.close();
    expect(seen).toHaveLength(3);
    expect([outer.inFlight, inner.inFlight]).toEqual([0, 0]);
    expect([outer.snapshot().admitted, inner.snapshot().admitted]).toEqual([3, 3]);
    expect(lifecycle.inFlight.requests).toBe(0);
  });
});
