// Public entry of @lbkit/profiles: re-exports only.
export { profileCheck } from './health-check.js';
export { KEEP_ALIVE_MARGIN_MS, PROFILE_NAMES, resolveProfile } from './resolve.js';
export { applyServerTimeouts } from './server-timeouts.js';
export type {
  BalancerNumbers,
  BalancerProfile,
  ClientIpSettings,
  HealthSettings,
  PlatformProfile,
  ProfileHealthCheck,
  ProfileName,
  ProfileOverrides,
  ProfileSettings,
  ProfilesErrorCode,
  ServerTimeouts,
  SettingName,
  ShutdownSettings,
} from './types.js';
