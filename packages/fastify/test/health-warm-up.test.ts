// healthPlugin's warmUp option: the warm-up starts once Fastify listens, and the instance is ready after it.
import { Lifecycle } from '@lbkit/core';
import { healthPlugin } from '@lbkit/fastify';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

describe('Fastify healthPlugin warmUp', () => {
  it('requests the given routes of itself once listening; readiness fails until then and passes after', async () => {
    const lifecycle = new Lifecycle();
    const app = Fastify();
    let hits = 0;
    let release!: () => void;
    const slowFirst = new Promise<void>((resolve) => {
      release = resolve;
    });
    app.get('/hello', async () => {
      hits++;
      await slowFirst;
      return { hello: 'world' };
    });
    await app.register(healthPlugin, { lifecycle, warmUp: { routes: ['/hello'] } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    lifecycle.markReady('listening');
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    expect((await fetch(`${base}/health/ready`)).status).toBe(503);
    expect((await fetch(`${base}/health/startup`)).status).toBe(503);
    expect(lifecycle.state).toBe('starting');
    release();
    const outcome = await app.health.warmUp();
    expect(outcome.status).toBe('pass');
    expect(hits).toBe(1);
    expect(lifecycle.state).toBe('ready');
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'pass' });
    await app.close();
  });
});
