// Public entry of @lbkit/fastify: re-exports only.
export {};
