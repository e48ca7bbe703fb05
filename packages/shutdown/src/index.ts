// Public entry of @lbkit/shutdown: re-exports only.
export {};
