// shutdownPlugin: a real signal drains a Fastify server, Fastify closes it once, onClose hooks run once after the drain.
import { Lifecycle } from '@lbkit/core';
import { shutdownPlugin } from '@lbkit/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) if (app.shutdown.state === 'idle') await app.close();
});

async function build(options: Parameters<typeof shutdownPlugin>[1]) {
  const app = Fastify();
  apps.push(app);
  const counts = { onClose: 0, serverClose: 0 };
  app.server.on('close', () => counts.serverClose++);
  await app.register(shutdownPlugin, options);
  app.addHook('onClose', async () => {
    counts.onClose++;
  });
  app.get('/slow', async (req) => {
    const ms = Number((req.query as { ms?: string }).ms ?? 0);
    await new Promise((r) => setTimeout(r, ms));
    return { ms };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return { app, port, counts, url: `http://127.0.0.1:${port}` };
}

describe('shutdownPlugin', () => {
  it('on a real signal: serves during the delay (no 503), drains in-flight work, closes the server and runs onClose once', async () => {
    const lifecycle = new Lifecycle();
    const { app, url, counts } = await build({
      lifecycle,
      signals: ['SIGUSR2'],
      exit: false,
      ipc: false,
      drainDelayMs: 300,
    });
    const slow = request(`${url}/slow?ms=600`);
    await new Promise((r) => setTimeout(r, 50));
    process.kill(process.pid, 'SIGUSR2');
    await expect.poll(() => lifecycle.state).toBe('draining');
    const during = await request(`${url}/slow?ms=0`);
    expect(during.statusCode).toBe(200);
    expect(during.headers.connection).toBe('close');
    await during.body.text();
    expect(counts.onClose).toBe(0);
    const result = await app.shutdown.finished;
    expect((await slow).statusCode).toBe(200);
    expect(result).toMatchObject({ reason: 'SIGUSR2', exitCode: 0, forced: false });
    expect(counts).toEqual({ onClose: 1, serverClose: 1 });
    expect(lifecycle.state).toBe('stopped');
    expect(result.phases.find((p) => p.phase === 'hook')?.hook).toMatchObject({
      name: 'fastify.close',
      outcome: 'ok',
    });
  });

  it('a direct fastify.close() drains without the delay, runs cleanup hooks once and never closes twice', async () => {
    const lifecycle = new Lifecycle();
    const ran: string[] = [];
    const { app, url, counts } = await build({
      lifecycle,
      signals: [],
      ipc: false,
      drainDelayMs: 20_000,
      hooks: [{ name: 'redis', run: () => void ran.push('redis') }],
    });
    const slow = request(`${url}/slow?ms=300`);
    await new Promise((r) => setTimeout(r, 50));
    await app.close();
    expect((await slow).statusCode).toBe(200);
    expect(app.shutdown.state).toBe('done');
    expect(ran).toEqual(['redis']);
    expect(counts).toEqual({ onClose: 1, serverClose: 1 });
    expect(lifecycle.state).toBe('stopped');
    expect((await app.shutdown.finished).reason).toBe('fastify.close');
  });
});
