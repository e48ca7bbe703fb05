// Public entry of @lbkit/profiles: re-exports only.
export type { ProfilesErrorCode } from './types.js';
