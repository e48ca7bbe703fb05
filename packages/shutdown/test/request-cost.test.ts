// Before a drain, a shutdown looks at no request: it listens to InFlight's requests only once it retires keep-alive.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { gracefulShutdown } from '@lbkit/shutdown';
import { describe, expect, it } from 'vitest';

describe('gracefulShutdown per-request cost', () => {
  it('adds no request listener until the drain, and answers drained requests with Connection: close', async () => {
    const lifecycle = new Lifecycle();
    let release: (() => void) | undefined;
    const server = createServer((req, res) => {
      if (req.url === '/slow') release = () => res.end('slow');
      else res.end('ok');
    });
    const shutdown = gracefulShutdown(server, { lifecycle, signals: [], exit: false, drainDelayMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${url}/`)).text()).toBe('ok');
    expect(lifecycle.inFlight.listenerCount('request')).toBe(0);
    const slow = fetch(`${url}/slow`);
    while (!release) await new Promise((r) => setTimeout(r, 5));
    const finished = shutdown.shutdown('test');
    while (lifecycle.state === 'ready') await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    expect(lifecycle.inFlight.listenerCount('request')).toBe(1);
    release();
    const answer = await slow;
    expect(answer.headers.get('connection')).toBe('close');
    expect(await answer.text()).toBe('slow');
    expect((await finished).exitCode).toBe(0);
    expect(lifecycle.inFlight.listenerCount('request')).toBe(0);
  });
});
