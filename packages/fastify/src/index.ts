// Public entry of @lbkit/fastify: re-exports only.

export * from './balancer-feedback.js';
export * from './client-ip.js';
export * from './health.js';
export * from './metrics.js';
export type { LbkitRouteConfig } from './route-config.js';
export * from './shedding.js';
export * from './shutdown.js';
export type { FastifyErrorCode } from './types.js';
