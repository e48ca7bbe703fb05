// The underPressure option: a custom pressure source, sync or async, sheds like a backstop while it says so.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type HeldServer, heldServer } from './helpers/held-server.js';

let served: HeldServer | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await sleep(5);
  if (!condition()) throw new Error('condition not met in time');
}

describe('underPressure', () => {
  it('sheds with reason backstop from the first request while a synchronous source says so', async () => {
    served = await heldServer({ concurrencyLimit: 100, underPressure: () => true });
    expect(served.shedder.isUnderPressure()).toBe(true);
    const shed = await fetch(`${served.url}/work`);
    expect(shed.status).toBe(503);
    expect(await shed.json()).toEqual({ error: 'Service Unavailable', reason: 'backstop' });
    expect(served.shedder.snapshot().backstops).toEqual(['underPressure']);
  });

  it('follows an async source on the signal timer, and admits again once it clears', async () => {
    let pressure = true;
    served = await heldServer({
      concurrencyLimit: 100,
      signals: { intervalMs: 10 },
      underPressure: async () => pressure,
    });
    await until(() => served!.shedder.isUnderPressure());
    expect((await fetch(`${served.url}/work`)).status).toBe(503);
    pressure = false;
    await until(() => !served!.shedder.isUnderPressure());
    expect((await fetch(`${served.url}/work`)).status).toBe(200);
  });

  it('counts a source that throws or rejects as under pressure', async () => {
    served = await heldServer({
      concurrencyLimit: 100,
      signals: { intervalMs: 10 },
      underPressure: async () => {
        throw new Error('pool unreachable');
      },
    });
    await until(() => served!.shedder.isUnderPressure());
    expect((await fetch(`${served.url}/work`)).status).toBe(503);
  });

  it('never starts an async source again while its last answer is awaited', async () => {
    let running = 0;
    let most = 0;
    served = await heldServer({
      signals: { intervalMs: 10 },
      underPressure: async () => {
        running++;
        most = Math.max(most, running);
        await sleep(60);
        running--;
        return false;
      },
    });
    await sleep(200);
    expect(most).toBe(1);
  });
});
