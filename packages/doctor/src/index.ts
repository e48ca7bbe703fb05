// Public entry of @lbkit/doctor: re-exports only.
export { BALANCER_IDLE_TIMEOUTS_S } from './balancers.js';
export { runDoctor } from './doctor.js';
export { formatFindings } from './report.js';
export type { DoctorErrorCode, DoctorOptions, Finding, FindingStatus, KnownBalancer } from './types.js';
