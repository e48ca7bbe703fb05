// What tracking adds to each HTTP/1 response: one listener shared by every response, none of its own.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InFlight } from '@lbkit/core';
import { describe, expect, it } from 'vitest';

/** The 'finish' and 'close' listeners of the responses to two requests, seen by the handler. */
async function listenersOfTwoResponses(inFlight: InFlight | undefined) {
  const seen: Array<{ finish: unknown[]; close: unknown[] }> = [];
  const server = createServer((_req, res: ServerResponse) => {
    seen.push({ finish: res.listeners('finish'), close: res.listeners('close') });
    res.end('ok');
  });
  const detach = inFlight?.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  for (let i = 0; i < 2; i++) await (await fetch(`http://127.0.0.1:${port}/`)).text();
  await new Promise((resolve) => server.close(resolve));
  detach?.();
  return seen;
}

describe('InFlight per-request cost', () => {
  it('adds one listener shared by every response, on close only, and still ends each request', async () => {
    const bare = await listenersOfTwoResponses(undefined);
    const inFlight = new InFlight();
    const tracked = await listenersOfTwoResponses(inFlight);
    expect(tracked[0]?.finish.length).toBe(bare[0]?.finish.length);
    expect(tracked[0]?.close.length).toBe((bare[0]?.close.length ?? 0) + 1);
    const added = tracked[0]?.close.find((fn) => !bare[0]?.close.includes(fn));
    expect(added).toBeTypeOf('function');
    expect(tracked[1]?.close).toContain(added);
    expect(inFlight.requests).toBe(0);
  });
});
