// Public entry of @lbkit/client-ip: re-exports only.
export {};
