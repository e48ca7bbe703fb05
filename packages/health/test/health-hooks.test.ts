// onCheckChange (once per change of a check's state) and onFailureDuringShutdown (terminus's onSendFailureDuringShutdown).
import { Lifecycle } from '@lbkit/core';
import { type CheckChange, createHealth, type ShutdownFailureEvent } from '@lbkit/health';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchHealth } from './http-client.js';
import { type Served, serve } from './serve.js';

let served: Served | undefined;

afterEach(async () => {
  await served?.close();
  served = undefined;
});

describe('onCheckChange', () => {
  it('reports a check once when it starts failing and once when it passes again, not on every probe', async () => {
    const changes: CheckChange[] = [];
    let error: Error | undefined = new Error('connection refused');
    const lifecycle = new Lifecycle();
    served = await serve(
      createHealth({
        lifecycle,
        cacheMs: 0,
        checks: {
          db: () => {
            if (error) throw error;
            return true;
          },
          api: () => true,
        },
        onCheckChange: (change) => changes.push(change),
      }),
    );
    lifecycle.markReady();
    for (let i = 0; i < 3; i++) await fetchHealth(`${served.url}/health/ready`);
    error = undefined;
    for (let i = 0; i < 3; i++) await fetchHealth(`${served.url}/health/ready`);
    expect(changes.map(({ name, status, previous, output }) => ({ name, status, previous, output }))).toEqual(
      [
        { name: 'db', status: 'fail', previous: undefined, output: 'connection refused' },
        { name: 'db', status: 'pass', previous: 'fail', output: undefined },
      ],
    );
    expect(changes[0]?.critical).toBe(true);
    expect(typeof changes[0]?.durationMs).toBe('number');
  });

  it('keeps answering when the hook throws', async () => {
    const lifecycle = new Lifecycle();
    served = await serve(
      createHealth({
        lifecycle,
        cacheMs: 0,
        checks: { db: () => false },
        onCheckChange: () => {
          throw new Error('logger down');
        },
      }),
    );
    lifecycle.markReady();
    expect((await fetchHealth(`${served.url}/health/ready`)).status).toBe(503);
  });
});

describe('onFailureDuringShutdown', () => {
  it('is told of each failing answer while draining, not before', async () => {
    const events: Array<Omit<ShutdownFailureEvent, 'req'> & { url: string | undefined }> = [];
    const lifecycle = new Lifecycle();
    served = await serve(
      createHealth({
        lifecycle,
        probes: { '/db': () => true },
        onFailureDuringShutdown: ({ probe, state, req }) => events.push({ probe, state, url: req.url }),
      }),
    );
    await fetchHealth(`${served.url}/health/ready`);
    lifecycle.markReady();
    await fetchHealth(`${served.url}/health/ready`);
    expect(events).toEqual([]);
    lifecycle.beginDrain('SIGTERM');
    await fetchHealth(`${served.url}/health/ready`);
    await fetchHealth(`${served.url}/db`);
    await fetchHealth(`${served.url}/health/live`);
    expect(events).toEqual([
      { probe: 'readiness', state: 'draining', url: '/health/ready' },
      { probe: '/db', state: 'draining', url: '/db' },
    ]);
  });

  it('still answers 503 when the hook throws or rejects', async () => {
    const lifecycle = new Lifecycle();
    let calls = 0;
    served = await serve(
      createHealth({
        lifecycle,
        onFailureDuringShutdown: () => {
          calls++;
          if (calls === 1) throw new Error('sync');
          return Promise.reject(new Error('async')) as never;
        },
      }),
    );
    lifecycle.beginDrain();
    expect((await fetchHealth(`${served.url}/health/ready`)).status).toBe(503);
    expect((await fetchHealth(`${served.url}/health/ready`)).status).toBe(503);
    expect(calls).toBe(2);
  });
});
