// What LBKIT_BEHIND's profile sets beyond the variables: the server timeouts and the detailed health report's entry.
import type { Server } from 'node:http';
import { applyServerTimeouts, type ProfileHealthCheck, profileCheck } from '@lbkit/profiles';
import type { DemoConfig } from './config.js';

/** Sets the profile's keepAliveTimeout, headersTimeout and requestTimeout on `server`; nothing without LBKIT_BEHIND. */
export function applyProfileTimeouts(server: Server, config: DemoConfig): void {
  if (config.behind) applyServerTimeouts(server, config.behind);
}

/** The check that shows the resolved profile in the detailed health report; none without LBKIT_BEHIND. */
export function profileChecks(config: DemoConfig): ProfileHealthCheck[] {
  return config.behind ? [profileCheck(config.behind)] : [];
}
