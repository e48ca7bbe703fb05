// Public entry of @lbkit/shedding: re-exports only.
export {};
