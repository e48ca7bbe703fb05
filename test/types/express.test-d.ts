// Type tests of @lbkit/express: what each adapter takes and returns, and the Express.Request augmentation.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoadReport, LoadReportOptions } from '@lbkit/balancer-feedback';
import type { ClientInfo, ClientIpOptions, ClientIpResolver } from '@lbkit/client-ip';
import {
  clientIp,
  healthcheck,
  loadShedding,
  metricsHandler,
  type NextFunction,
  orcaLoadReport,
} from '@lbkit/express';
import type { Health, HealthOptions } from '@lbkit/health';
import type { LbkitMetrics, MetricsOptions } from '@lbkit/metrics';
import type { LoadShedder, LoadSheddingOptions } from '@lbkit/shedding';
import type { Request, RequestHandler } from 'express';
import express4 from 'express4';
import { expectTypeOf } from 'vitest';

// Each factory takes its capability's options or an object made with the core package.
expectTypeOf(healthcheck).parameter(0).toEqualTypeOf<HealthOptions | Health | undefined>();
expectTypeOf(loadShedding).parameter(0).toEqualTypeOf<LoadSheddingOptions | LoadShedder | undefined>();
expectTypeOf(metricsHandler).parameter(0).toEqualTypeOf<MetricsOptions | LbkitMetrics | undefined>();
expectTypeOf(orcaLoadReport).parameter(0).toEqualTypeOf<LoadReportOptions | LoadReport | undefined>();
expectTypeOf(clientIp).parameter(0).toEqualTypeOf<ClientIpOptions | ClientIpResolver>();

// …and returns node:http middleware carrying the object it serves with.
expectTypeOf(healthcheck()).toExtend<
  (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void
>();
expectTypeOf(healthcheck().health).toEqualTypeOf<Health>();
expectTypeOf(loadShedding().shedder).toEqualTypeOf<LoadShedder>();
expectTypeOf(metricsHandler().metrics).toEqualTypeOf<LbkitMetrics>();
expectTypeOf(orcaLoadReport().loadReport).toEqualTypeOf<LoadReport>();

// Express 5 (@types/express) and Express 4 take them as request handlers.
expectTypeOf(healthcheck()).toExtend<RequestHandler>();
expectTypeOf(clientIp({ trust: 'loopback' })).toExtend<RequestHandler>();
express4().use(loadShedding());

// clientIp() types the fields it sets on every Express request.
expectTypeOf<Request['clientIp']>().toEqualTypeOf<string | undefined>();
expectTypeOf<Request['clientInfo']>().toEqualTypeOf<ClientInfo | undefined>();

// Misuse is a compile error, not only a runtime one.
// @ts-expect-error neither health options nor a Health
healthcheck({ routes: new Map() });
// @ts-expect-error clientIp() needs trust (or a resolver)
clientIp({});
