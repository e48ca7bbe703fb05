// balancerFeedbackPlugin: agent-check responder tied to Fastify's lifecycle, and the ORCA load header.
import { connect } from 'node:net';
import { ORCA_HEADER } from '@lbkit/balancer-feedback';
import { isLbkitError, Lifecycle } from '@lbkit/core';
import { balancerFeedbackPlugin, sheddingPlugin } from '@lbkit/fastify';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

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

describe('Fastify balancerFeedbackPlugin', () => {
  it('answers agent checks from onReady until onClose, reading the shedder of sheddingPlugin', async () => {
    const lifecycle = new Lifecycle();
    const app = Fastify();
    await app.register(sheddingPlugin, { lifecycle, concurrencyLimit: 4, queue: false });
    await app.register(balancerFeedbackPlugin, { lifecycle, agentCheck: { port: 0 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const agent = app.balancerFeedback.agentCheck!;
    const port = agent.address!.port;
    expect(await ask(port)).toBe('down #starting\n');
    lifecycle.markReady();
    expect(await ask(port)).toBe('up ready 100%\n');
    expect(agent.read().limit).toBe(4);
    lifecycle.beginDrain();
    expect(await ask(port)).toBe('drain\n');
    await app.close();
    await expect(ask(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('sets endpoint-load-metrics on every reply when loadReport is on', async () => {
    const lifecycle = new Lifecycle();
    const app = Fastify();
    await app.register(balancerFeedbackPlugin, {
      lifecycle,
      concurrencyLimit: 10,
      loadReport: { processUsage: false },
    });
    app.get('/hello', async () => ({ ok: true }));
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    lifecycle.inFlight.attach(app.server);
    try {
      const res = await fetch(`${address}/hello`);
      expect(res.headers.get(ORCA_HEADER)).toBe(
        'TEXT application_utilization=0.1, named_metrics.in_flight=1, named_metrics.queued=0, named_metrics.concurrency_limit=10',
      );
      expect(app.balancerFeedback.agentCheck).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('refuses to register with neither agentCheck nor loadReport', async () => {
    const app = Fastify();
    app.register(balancerFeedbackPlugin, {});
    const error = await app.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isLbkitError(error, 'LBKIT_FASTIFY_OPTION_INVALID')).toBe(true);
    await app.close();
  });
});
