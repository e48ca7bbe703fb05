// What tracking adds to each HTTP/1 response: nothing while nobody listens for request ends, one listener shared by every response while someone does.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InFlight } from '@lbkit/core';
import { describe, expect, it } from 'vitest';

/** The 'finish' and 'close' listeners of the responses to two requests, and the requests counted during each. */
async function listenersOfTwoResponses(inFlight: InFlight | undefined) {
  const seen: Array<{ finish: unknown[]; close: unknown[]; counted: number | undefined }> = [];
  const server = createServer((_req, res: ServerResponse) => {
    seen.push({
      finish: res.listeners('finish'),
      close: res.listeners('close'),
      counted: inFlight?.requests,
    });
    res.end('ok');
  });
  const detach = inFlight?.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  for (let i = 0; i < 2; i++) await (await fetch(`http://127.0.0.1:${port}/`)).text();
  // The second response's 'close' comes on the tick after its body is sent.
  await new Promise((resolve) => setImmediate(resolve));
  const after = inFlight?.requests;
  await new Promise((resolve) => server.close(resolve));
  detach?.();
  return { seen, after };
}

describe('InFlight per-request cost', () => {
  it('adds no listener to a response while nobody listens for request ends, and still counts each request', async () => {
    const bare = await listenersOfTwoResponses(undefined);
    const tracked = await listenersOfTwoResponses(new InFlight());
    for (const i of [0, 1]) {
      expect(tracked.seen[i]?.finish.length).toBe(bare.seen[i]?.finish.length);
      expect(tracked.seen[i]?.close.length).toBe(bare.seen[i]?.close.length);
      expect(tracked.seen[i]?.counted).toBe(1);
    }
    expect(tracked.after).toBe(0);
  });

  it('adds one listener shared by every response, on close only, while someone listens for request ends', async () => {
    const bare = await listenersOfTwoResponses(undefined);
    const inFlight = new InFlight();
    const ends: number[] = [];
    inFlight.on('requestEnd', (left) => ends.push(left));
    const tracked = await listenersOfTwoResponses(inFlight);
    expect(tracked.seen[0]?.finish.length).toBe(bare.seen[0]?.finish.length);
    expect(tracked.seen[0]?.close.length).toBe((bare.seen[0]?.close.length ?? 0) + 1);
    const added = tracked.seen[0]?.close.find((fn) => !bare.seen[0]?.close.includes(fn));
    expect(added).toBeTypeOf('function');
    expect(tracked.seen[1]?.close).toContain(added);
    expect(ends).toEqual([0, 0]);
    expect(tracked.after).toBe(0);
  });
});
