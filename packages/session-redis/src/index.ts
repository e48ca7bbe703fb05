// Public entry of @lbkit/session-redis: re-exports only.
export {};
