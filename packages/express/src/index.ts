// Public entry of @lbkit/express: re-exports only.
export * from './health.js';
