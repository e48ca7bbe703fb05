// Every plugin refuses a misspelt or wrong option at registration (fastify.ready() rejects), and takes Fastify's own register options.
import { isLbkitError, type LbkitError, Lifecycle } from '@lbkit/core';
import {
  balancerFeedbackPlugin,
  clientIpPlugin,
  healthPlugin,
  metricsPlugin,
  sheddingPlugin,
  shutdownPlugin,
} from '@lbkit/fastify';
import { createHealth } from '@lbkit/health';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close().catch(() => undefined);
});

/** What `fastify.ready()` rejects with once `plugin` is registered with `options`. */
async function refusal(plugin: unknown, options: unknown): Promise<LbkitError> {
  const app = Fastify();
  apps.push(app);
  app.register(plugin as FastifyPluginAsync, options as never);
  const error = await app.ready().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLbkitError(error)) throw new Error(`expected an LbkitError, got ${String(error)}`);
  return error;
}

const misspelt: [string, unknown, object, string, string, string][] = [
  ['healthPlugin', healthPlugin, { helth: {} }, 'LBKIT_FASTIFY_OPTION_UNKNOWN', 'helth', 'health'],
  ['healthPlugin', healthPlugin, { chekcs: [] }, 'LBKIT_HEALTH_OPTION_UNKNOWN', 'chekcs', 'checks'],
  ['sheddingPlugin', sheddingPlugin, { sheder: {} }, 'LBKIT_FASTIFY_OPTION_UNKNOWN', 'sheder', 'shedder'],
  [
    'sheddingPlugin',
    sheddingPlugin,
    { concurrencylimit: 5 },
    'LBKIT_SHEDDING_OPTION_UNKNOWN',
    'concurrencylimit',
    'concurrencyLimit',
  ],
  [
    'sheddingPlugin',
    sheddingPlugin,
    { queue: { target: 5 } },
    'LBKIT_SHEDDING_OPTION_UNKNOWN',
    'queue.target',
    'queue.targetMs',
  ],
  ['metricsPlugin', metricsPlugin, { pth: '/m' }, 'LBKIT_FASTIFY_OPTION_UNKNOWN', 'pth', 'path'],
  ['metricsPlugin', metricsPlugin, { metric: {} }, 'LBKIT_FASTIFY_OPTION_UNKNOWN', 'metric', 'metrics'],
  [
    'clientIpPlugin',
    clientIpPlugin,
    { trust: 'loopback', sorce: 'xff' },
    'LBKIT_CLIENT_IP_OPTION_UNKNOWN',
    'sorce',
    'source',
  ],
  [
    'balancerFeedbackPlugin',
    balancerFeedbackPlugin,
    { agentChek: { port: 0 } },
    'LBKIT_FASTIFY_OPTION_UNKNOWN',
    'agentChek',
    'agentCheck',
  ],
  [
    'balancerFeedbackPlugin',
    balancerFeedbackPlugin,
    { loadReport: true, concurencyLimit: 4 },
    'LBKIT_FASTIFY_OPTION_UNKNOWN',
    'concurencyLimit',
    'concurrencyLimit',
  ],
  [
    'shutdownPlugin',
    shutdownPlugin,
    { drainDelay: 5, signals: [] },
    'LBKIT_SHUTDOWN_OPTION_UNKNOWN',
    'drainDelay',
    'drainDelayMs',
  ],
];

describe('a misspelt plugin option', () => {
  it.each(
    misspelt.map(([name, plugin, options, code, wrong, meant]) => ({
      name,
      plugin,
      options,
      code,
      wrong,
      meant,
    })),
  )('$name: $wrong is refused with $code, naming $meant', async ({ plugin, options, code, wrong, meant }) => {
    const error = await refusal(plugin, options);
    expect(error.code).toBe(code);
    expect(error.message).toContain(`unknown option "${wrong}" — did you mean "${meant}"?`);
  });
});

describe('a wrong plugin option', () => {
  it.each([
    ['healthPlugin', { health: { handle: 1 } }, healthPlugin],
    ['sheddingPlugin', { shedder: { admit: 1 } }, sheddingPlugin],
    ['sheddingPlugin', 'fast', sheddingPlugin],
    ['metricsPlugin', { path: 'metrics' }, metricsPlugin],
    ['metricsPlugin', { path: 5 }, metricsPlugin],
    ['metricsPlugin', { metrics: {} }, metricsPlugin],
    ['balancerFeedbackPlugin', {}, balancerFeedbackPlugin],
    ['balancerFeedbackPlugin', { agentCheck: 5555 }, balancerFeedbackPlugin],
    ['balancerFeedbackPlugin', { loadReport: { lifecycle: new Lifecycle() } }, balancerFeedbackPlugin],
  ])('%s, %j: ready() rejects with LBKIT_FASTIFY_OPTION_INVALID', async (_name, options, plugin) => {
    expect((await refusal(plugin, options)).code).toBe('LBKIT_FASTIFY_OPTION_INVALID');
  });

  it('refuses the capability’s options next to a shared object, which would ignore them', async () => {
    const health = createHealth({ lifecycle: new Lifecycle() });
    try {
      const error = await refusal(healthPlugin, { health, checks: [] });
      expect(error.code).toBe('LBKIT_FASTIFY_OPTION_INVALID');
      expect(error.message).toContain('checks would be ignored next to health');
    } finally {
      await health.close();
    }
  });

  it('refuses a capability value with the capability’s own code', async () => {
    expect((await refusal(sheddingPlugin, { concurrencyLimit: 0 })).code).toBe(
      'LBKIT_SHEDDING_OPTION_INVALID',
    );
  });
});

describe("Fastify's own register options", () => {
  const fastifyOptions = { prefix: '/ops', logLevel: 'warn', logSerializers: {} } as const;

  it.each([
    ['healthPlugin', healthPlugin, { lifecycle: new Lifecycle() }],
    ['sheddingPlugin', sheddingPlugin, { lifecycle: new Lifecycle(), concurrencyLimit: 4 }],
    ['clientIpPlugin', clientIpPlugin, { trust: 'loopback' }],
    ['balancerFeedbackPlugin', balancerFeedbackPlugin, { loadReport: true, concurrencyLimit: 4 }],
    ['shutdownPlugin', shutdownPlugin, { lifecycle: new Lifecycle(), signals: [], ipc: false, exit: false }],
  ])(
    '%s takes prefix, logLevel and logSerializers from fastify.register()',
    async (_name, plugin, options) => {
      const app = Fastify();
      apps.push(app);
      await app.register(plugin as FastifyPluginAsync, { ...options, ...fastifyOptions } as never);
      await expect(app.ready()).resolves.toBeDefined();
    },
  );

  it('healthPlugin serves its probes where paths says: fastify-plugin plugins are not prefixed', async () => {
    const app = Fastify();
    apps.push(app);
    await app.register(healthPlugin, { lifecycle: new Lifecycle(), prefix: '/ops' });
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
  });

  it('metricsPlugin passes prefix on to the metrics, where it prefixes the metric names', async () => {
    const registry = new Registry();
    const app = Fastify();
    apps.push(app);
    await app.register(metricsPlugin, {
      lifecycle: new Lifecycle(),
      registry,
      prefix: 'shop_',
      logLevel: 'warn',
      logSerializers: {},
    } as never);
    const body = (await app.inject({ url: '/metrics' })).body;
    expect(body).toMatch(/^shop_/m);
    expect(body).not.toMatch(/^lbkit_/m);
  });
});
