// Public entry of @lbkit/health: re-exports only.
export {};
