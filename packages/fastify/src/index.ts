// Public entry of @lbkit/fastify: re-exports only.
export * from './health.js';
