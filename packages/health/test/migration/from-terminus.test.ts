// The terminus migration example answers as terminus does: same routes, status codes, bodies and shutdown hook.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchHealth, type TestResponse } from '../http-client.js';
import { createApp } from './from-terminus.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** terminus in a child process; resolves with its URL and the lines it printed. */
async function startTerminus(): Promise<{ url: string; child: ChildProcess; lines: string[] }> {
  const script = fileURLToPath(new URL('./terminus-app.mjs', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const lines: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`terminus app exited with ${code}`)));
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      for (const line of text.split('\n').filter(Boolean)) {
        lines.push(line);
        const m = /^port (\d+)$/.exec(line);
        if (m) resolve(Number(m[1]));
      }
    });
  });
  return { url: `http://127.0.0.1:${port}`, child, lines };
}

async function startLbkit() {
  let healthy = true;
  let failures = 0;
  const app = createApp(
    async () => {
      if (!healthy) throw new Error('db down');
    },
    () => failures++,
  );
  app.server.listen(0, '127.0.0.1');
  await once(app.server, 'listening');
  cleanups.push(async () => {
    app.server.closeAllConnections();
    await new Promise<void>((resolve) => app.server.close(() => resolve()));
    await app.health.close();
  });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    toggle: () => {
      healthy = !healthy;
    },
    beginShutdown: app.beginShutdown,
    failures: () => failures,
  };
}

function seen(response: TestResponse) {
  return {
    status: response.status,
    type: response.headers['content-type'],
    body: response.json ?? response.text,
  };
}

describe('migrating from @godaddy/terminus: the README example', () => {
  it('is the code the README shows', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('./from-terminus.ts', import.meta.url), 'utf8');
    expect(readme).toContain(example.slice(example.indexOf('\n') + 1));
  });

  it('answers the check route and other routes as terminus does, passing and failing', async () => {
    const terminus = await startTerminus();
    const lbkit = await startLbkit();
    for (const path of ['/healthcheck', '/']) {
      expect(seen(await fetchHealth(`${lbkit.url}${path}`))).toEqual(
        seen(await fetchHealth(`${terminus.url}${path}`)),
      );
    }
    await fetchHealth(`${terminus.url}/toggle`);
    lbkit.toggle();
    const failing = seen(await fetchHealth(`${terminus.url}/healthcheck`));
    expect(failing).toMatchObject({ status: 503, body: { status: 'error' } });
    expect(seen(await fetchHealth(`${lbkit.url}/healthcheck`))).toEqual(failing);
  });

  it('answers 503 during shutdown and calls the failure hook before each, as terminus does', async () => {
    const terminus = await startTerminus();
    const lbkit = await startLbkit();
    terminus.child.kill('SIGTERM');
    lbkit.beginShutdown();
    // terminus flips its state synchronously on the signal; ask until the child has seen it.
    let fromTerminus = await fetchHealth(`${terminus.url}/healthcheck`);
    for (let i = 0; i < 50 && fromTerminus.status === 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      fromTerminus = await fetchHealth(`${terminus.url}/healthcheck`);
    }
    expect(seen(await fetchHealth(`${lbkit.url}/healthcheck`))).toEqual(seen(fromTerminus));
    expect(fromTerminus.status).toBe(503);
    expect(terminus.lines).toContain('failure-during-shutdown');
    expect(lbkit.failures()).toBe(1);
  });
});
