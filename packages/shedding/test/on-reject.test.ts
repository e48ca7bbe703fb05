// Regression (issue #15): an async onReject that rejects answers 500 and the process carries on; an onReject that never answers does not hang the request.
import { afterEach, describe, expect, it } from 'vitest';
import { type HeldServer, heldServer } from './helpers/held-server.js';

let served: HeldServer | undefined;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
process.on('unhandledRejection', onUnhandled);
afterEach(async () => {
  await served?.close();
  served = undefined;
});

describe('onReject', () => {
  it('answers 500 when an async onReject rejects, with no unhandled rejection, and keeps serving', async () => {
    served = await heldServer({
      onReject: async () => {
        throw new Error('logger down');
      },
    });
    await served.hold();
    const shed = await fetch(`${served.url}/work`);
    expect(shed.status).toBe(500);
    const again = await fetch(`${served.url}/work`);
    expect(again.status).toBe(500);
    served.release();
    expect((await fetch(`${served.url}/work`)).status).toBe(200);
    expect(unhandled).toEqual([]);
  });

  it('answers 500 when onReject throws synchronously', async () => {
    served = await heldServer({
      onReject: () => {
        throw new Error('bug');
      },
    });
    await served.hold();
    expect((await fetch(`${served.url}/work`)).status).toBe(500);
  });

  it('writes the default 503 when onReject returns without answering', async () => {
    served = await heldServer({ onReject: () => undefined });
    await served.hold();
    const shed = await fetch(`${served.url}/work`);
    expect(shed.status).toBe(503);
    expect(await shed.json()).toEqual({ error: 'Service Unavailable', reason: 'overloaded' });
  });

  it('writes the default 503 when an async onReject resolves without answering', async () => {
    served = await heldServer({ onReject: async () => undefined });
    await served.hold();
    expect((await fetch(`${served.url}/work`)).status).toBe(503);
  });

  it('writes the default 503 when onReject returns a promise that never settles', async () => {
    served = await heldServer({ onReject: () => new Promise(() => undefined) });
    await served.hold();
    const shed = await fetch(`${served.url}/work`);
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toMatch(/^[0-9]+$/);
  });

  it('keeps the answer of an onReject that answers later from a callback', async () => {
    served = await heldServer({
      onReject: (rejection, _req, res) => {
        setTimeout(() => {
          res.writeHead(429, { 'x-reason': rejection.reason });
          res.end('later');
        }, 20);
      },
    });
    await served.hold();
    const shed = await fetch(`${served.url}/work`);
    expect(shed.status).toBe(429);
    expect(await shed.text()).toBe('later');
  });

  it('keeps the answer of an async onReject that answers', async () => {
    served = await heldServer({
      onReject: async (rejection, _req, res) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        res.writeHead(503, { 'retry-after': String(rejection.retryAfterSeconds) });
        res.end('busy');
      },
    });
    await served.hold();
    const shed = await fetch(`${served.url}/work`);
    expect(shed.status).toBe(503);
    expect(await shed.text()).toBe('busy');
  });
});
