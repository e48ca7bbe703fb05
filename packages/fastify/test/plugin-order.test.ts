// Registration order (issue #14): a plugin that reads another's decorator gets it in either order, or ready() fails with a code.
import { connect } from 'node:net';
import { isLbkitError, Lifecycle } from '@lbkit/core';
import { balancerFeedbackPlugin, healthPlugin, metricsPlugin, sheddingPlugin } from '@lbkit/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseSamples, sampleValue } from '../../metrics/test/scrape.js';

type Register = (app: FastifyInstance, lifecycle: Lifecycle) => PromiseLike<unknown>;

function ask(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

const shedding: Register = (app, lifecycle) =>
  app.register(sheddingPlugin, { lifecycle, concurrencyLimit: 3, queue: false });
const health: Register = (app, lifecycle) =>
  app.register(healthPlugin, { lifecycle, checks: [{ name: 'db:ping', check: () => true }] });

describe('metricsPlugin and the plugins it observes', () => {
  it.each([
    ['registered before them', true],
    ['registered after them', false],
  ])('observes the shedder and the probes when %s', async (_order, metricsFirst) => {
    const lifecycle = new Lifecycle();
    const registry = new Registry();
    const app = Fastify();
    const metrics = () => app.register(metricsPlugin, { registry, lifecycle });
    if (metricsFirst) await metrics();
    await shedding(app, lifecycle);
    await health(app, lifecycle);
    if (!metricsFirst) await metrics();
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    lifecycle.markReady();
    try {
      await fetch(`${base}/health/ready`);
      const samples = parseSamples(await (await fetch(`${base}/metrics`)).text());
      expect(sampleValue(samples, 'lbkit_concurrency_limit')).toBe(3);
      expect(sampleValue(samples, 'lbkit_health_check_status', { check: 'db:ping', status: 'pass' })).toBe(1);
    } finally {
      await app.close();
    }
  });
});

describe('balancerFeedbackPlugin and sheddingPlugin', () => {
  it('reads the shedder of a sheddingPlugin registered before it', async () => {
    const lifecycle = new Lifecycle();
    const app = Fastify();
    await shedding(app, lifecycle);
    await app.register(balancerFeedbackPlugin, { lifecycle, agentCheck: { port: 0 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      lifecycle.markReady();
      expect(app.balancerFeedback.agentCheck!.read().limit).toBe(3);
      expect(await ask(app.balancerFeedback.agentCheck!.address!.port)).toBe('up ready 100%\n');
    } finally {
      await app.close();
    }
  });

  it('fails ready() with LBKIT_FASTIFY_PLUGIN_MISORDERED when sheddingPlugin comes after it', async () => {
    const lifecycle = new Lifecycle();
    const app = Fastify();
    await app.register(balancerFeedbackPlugin, { lifecycle, agentCheck: { port: 0 } });
    await shedding(app, lifecycle);
    const error = await app.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isLbkitError(error, 'LBKIT_FASTIFY_PLUGIN_MISORDERED')).toBe(true);
    expect((error as Error).message).toMatch(/before sheddingPlugin/);
    expect(app.balancerFeedback.agentCheck!.address).toBeUndefined();
    await app.close();
  });

  it('takes a sheddingPlugin registered after it when the load is given explicitly', async () => {
    const lifecycle = new Lifecycle();
    const app = Fastify();
    await app.register(balancerFeedbackPlugin, { lifecycle, concurrencyLimit: 8, loadReport: true });
    await shedding(app, lifecycle);
    await app.ready();
    expect(app.balancerFeedback.loadReport!.report().namedMetrics).toMatchObject({ concurrency_limit: 8 });
    await app.close();
  });
});
