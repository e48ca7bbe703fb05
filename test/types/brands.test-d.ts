// Type tests of the brand guards: each isX() narrows unknown to the type its package makes.
import { type AgentCheck, isAgentCheck, isLoadReport, type LoadReport } from '@lbkit/balancer-feedback';
import { type ClientIpResolver, isClientIpResolver } from '@lbkit/client-ip';
import { isLifecycle, type Lifecycle } from '@lbkit/core';
import { type Health, isHealth } from '@lbkit/health';
import { isMetrics, type LbkitMetrics } from '@lbkit/metrics';
import { isLoadShedder, type LoadShedder } from '@lbkit/shedding';
import { isShutdown, type Shutdown } from '@lbkit/shutdown';
import { expectTypeOf } from 'vitest';

expectTypeOf(isLifecycle).guards.toEqualTypeOf<Lifecycle>();
expectTypeOf(isHealth).guards.toEqualTypeOf<Health>();
expectTypeOf(isLoadShedder).guards.toEqualTypeOf<LoadShedder>();
expectTypeOf(isMetrics).guards.toEqualTypeOf<LbkitMetrics>();
expectTypeOf(isClientIpResolver).guards.toEqualTypeOf<ClientIpResolver>();
expectTypeOf(isLoadReport).guards.toEqualTypeOf<LoadReport>();
expectTypeOf(isAgentCheck).guards.toEqualTypeOf<AgentCheck>();
expectTypeOf(isShutdown).guards.toEqualTypeOf<Shutdown>();
expectTypeOf(isHealth).parameter(0).toBeUnknown();
