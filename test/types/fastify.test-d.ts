// Type tests of @lbkit/fastify: the decorators, the request fields and the route config each plugin declares.
import type { AgentCheck, LoadReport } from '@lbkit/balancer-feedback';
import type { ClientInfo, ClientIpResolver } from '@lbkit/client-ip';
import {
  balancerFeedbackPlugin,
  clientIpPlugin,
  healthPlugin,
  type LbkitRouteConfig,
  metricsPlugin,
  sheddingPlugin,
  shutdownPlugin,
} from '@lbkit/fastify';
import type { Health } from '@lbkit/health';
import type { LbkitMetrics } from '@lbkit/metrics';
import type { LoadShedder } from '@lbkit/shedding';
import type { Shutdown } from '@lbkit/shutdown';
import Fastify, { type FastifyContextConfig, type FastifyInstance, type FastifyRequest } from 'fastify';
import { expectTypeOf } from 'vitest';

// The instance decorators, by module augmentation.
expectTypeOf<FastifyInstance['health']>().toEqualTypeOf<Health>();
expectTypeOf<FastifyInstance['loadShedder']>().toEqualTypeOf<LoadShedder>();
expectTypeOf<FastifyInstance['lbkitMetrics']>().toEqualTypeOf<LbkitMetrics>();
expectTypeOf<FastifyInstance['shutdown']>().toEqualTypeOf<Shutdown>();
expectTypeOf<FastifyInstance['balancerFeedback']>().toEqualTypeOf<{
  readonly agentCheck: AgentCheck | undefined;
  readonly loadReport: LoadReport | undefined;
}>();

// The request fields of clientIpPlugin.
expectTypeOf<FastifyRequest['clientIp']>().toEqualTypeOf<string | undefined>();
expectTypeOf<FastifyRequest['clientInfo']>().toEqualTypeOf<ClientInfo>();

// config.lbkit, through FastifyContextConfig: set on a route, read in a hook.
expectTypeOf<FastifyContextConfig['lbkit']>().toEqualTypeOf<LbkitRouteConfig | undefined>();
expectTypeOf<NonNullable<LbkitRouteConfig['probe']>>().toExtend<string>();
const app = Fastify();
app.get('/internal/metrics', { config: { lbkit: { probe: 'metrics' } } }, async () => 'ok');
app.addHook('onRequest', async (request) => {
  expectTypeOf(request.routeOptions.config.lbkit).toEqualTypeOf<LbkitRouteConfig | undefined>();
});
// @ts-expect-error probe names a probe, it is not a flag
app.get('/wrong', { config: { lbkit: { probe: true } } }, async () => 'ok');

// Each plugin registers with its options or an object made elsewhere.
app.register(healthPlugin, { checks: [] });
app.register(sheddingPlugin, { concurrencyLimit: 10 });
app.register(sheddingPlugin, { shedder: {} as LoadShedder });
app.register(metricsPlugin, { path: '/metrics' });
app.register(metricsPlugin, { metrics: {} as LbkitMetrics });
app.register(clientIpPlugin, { trust: 'loopback' });
app.register(clientIpPlugin, { resolver: {} as ClientIpResolver });
app.register(balancerFeedbackPlugin, { loadReport: true });
app.register(balancerFeedbackPlugin, { loadReport: {} as LoadReport });
app.register(shutdownPlugin, { drainDelayMs: 5000 });
