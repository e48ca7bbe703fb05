// Public entry of @lbkit/doctor: re-exports only.
export type { DoctorErrorCode } from './types.js';
