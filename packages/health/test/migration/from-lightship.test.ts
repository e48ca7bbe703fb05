// The lightship migration example answers what lightship's README documents, with the differences the README states.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchHealth } from '../http-client.js';
import { createProbeServer, runJob } from './from-lightship.js';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function start() {
  const app = createProbeServer();
  app.server.listen(0, '127.0.0.1');
  await once(app.server, 'listening');
  cleanups.push(async () => {
    app.server.closeAllConnections();
    await new Promise<void>((resolve) => app.server.close(() => resolve()));
    await app.health.close();
  });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const ask = async (path: string) => {
    const answer = await fetchHealth(`${url}${path}`);
    return `${answer.status} ${answer.text}`;
  };
  return { ...app, ask };
}

describe('migrating from lightship: the README example', () => {
  it('is the code the README shows', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('./from-lightship.ts', import.meta.url), 'utf8');
    expect(readme).toContain(example.slice(example.indexOf('\n') + 1));
  });

  it('answers /health and /ready as lightship documents: initialising, ready, shutting down', async () => {
    const app = await start();
    expect([await app.ask('/health'), await app.ask('/ready')]).toEqual([
      '500 SERVER_IS_NOT_READY',
      '500 SERVER_IS_NOT_READY',
    ]);
    app.lifecycle.markReady();
    expect([await app.ask('/health'), await app.ask('/ready')]).toEqual([
      '200 SERVER_IS_READY',
      '200 SERVER_IS_READY',
    ]);
    app.lifecycle.beginDrain('SIGTERM');
    expect(await app.ask('/health')).toBe('500 SERVER_IS_SHUTTING_DOWN');
  });

  it('keeps /live at 200 while shutting down, where lightship answers 500 (the stated difference)', async () => {
    const app = await start();
    app.lifecycle.markReady();
    expect(await app.ask('/live')).toBe('200 SERVER_IS_NOT_SHUTTING_DOWN');
    app.lifecycle.beginDrain('SIGTERM');
    expect(await app.ask('/live')).toBe('200 SERVER_IS_SHUTTING_DOWN');
  });

  it('holds the drain while a job runs, as a live beacon does, and lets go when it ends', async () => {
    const app = await start();
    let finish!: () => void;
    const job = runJob(app.lifecycle, () => new Promise<void>((resolve) => (finish = resolve)));
    expect(app.lifecycle.holds.count).toBe(1);
    let drained = false;
    const released = app.lifecycle.holds.released().then(() => {
      drained = true;
    });
    await Promise.resolve();
    expect(drained).toBe(false);
    finish();
    await job;
    await released;
    expect(app.lifecycle.holds.count).toBe(0);
  });
});
