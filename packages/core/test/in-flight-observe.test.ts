// InFlight.observe(): a hold on a tracked request, and one word of its end with InFlight's own clock read.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InFlight, type Observation, type RequestObserver } from '@lbkit/core';
import { describe, expect, it } from 'vitest';

/** An observer that records every end it is told of. */
function recorder(): RequestObserver & { ends: Array<{ observation: Observation; now: number }> } {
  const ends: Array<{ observation: Observation; now: number }> = [];
  return {
    ends,
    requestEnded(observation, now) {
      ends.push({ observation, now });
    },
  };
}

/** Serves one request with `handler`, and resolves once the response has closed. */
async function oneRequest(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<void> {
  const server = createServer((req, res) => {
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await (await fetch(`http://127.0.0.1:${port}/`)).text();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe('InFlight.observe', () => {
  it('tracks the request, returns the same hold to the same observer, and tells it of the end once', async () => {
    const inFlight = new InFlight();
    const observer = recorder();
    let first: Observation | undefined;
    let again: Observation | undefined;
    let counted = 0;
    await oneRequest((req, res) => {
      first = inFlight.observe(req, res, observer);
      first.data = 'mine';
      again = inFlight.observe(req, res, observer);
      counted = inFlight.requests;
      res.end('ok');
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(counted).toBe(1);
    expect(again).toBe(first);
    expect(first?.fresh).toBe(true);
    expect(observer.ends).toHaveLength(1);
    expect(observer.ends[0]?.observation).toBe(first);
    expect(observer.ends[0]?.observation.data).toBe('mine');
    expect(observer.ends[0]?.now).toBeGreaterThanOrEqual(first?.at ?? Number.POSITIVE_INFINITY);
    expect(inFlight.requests).toBe(0);
  });

  it('is not fresh for a request tracked before: its start time is not the caller’s now', async () => {
    const inFlight = new InFlight();
    let hold: Observation | undefined;
    await oneRequest((req, res) => {
      inFlight.track(req, res);
      hold = inFlight.observe(req, res, recorder());
      res.end('ok');
    });
    expect(hold?.fresh).toBe(false);
    expect(hold?.startedAt).toBe(hold?.at);
  });

  it('gives a second observer a hold of its own, and tells both of the end', async () => {
    const inFlight = new InFlight();
    const a = recorder();
    const b = recorder();
    let holds: Observation[] = [];
    await oneRequest((req, res) => {
      holds = [inFlight.observe(req, res, a), inFlight.observe(req, res, b), inFlight.observe(req, res, b)];
      holds[0]!.data = 1;
      holds[1]!.data = 2;
      res.end('ok');
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(holds[1]).not.toBe(holds[0]);
    expect(holds[2]).toBe(holds[1]);
    expect(a.ends.map((e) => e.observation.data)).toEqual([1]);
    expect(b.ends.map((e) => e.observation.data)).toEqual([2]);
    expect(a.ends[0]?.now).toBe(b.ends[0]?.now);
  });
});
