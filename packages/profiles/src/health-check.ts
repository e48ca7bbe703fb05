// profileCheck(): the resolved settings in health's detailed report, as a check that always passes.
import type { ProfileHealthCheck, ProfileSettings } from './types.js';

/**
 * A check for `createHealth({ checks })` that reports `settings` (profiles, server timeouts,
 * shutdown, client-ip, paths and sources) as its `observedValue`. Only trusted callers see it:
 * public callers get `{ status }`. It is not critical and never fails.
 */
export function profileCheck(settings: ProfileSettings): ProfileHealthCheck {
  const observedValue = {
    profiles: settings.profiles,
    server: settings.server,
    shutdown: settings.shutdown,
    clientIp: settings.clientIp,
    health: settings.health,
    sources: settings.sources,
  };
  const result = Object.freeze({ status: 'pass' as const, observedValue });
  return { name: 'lbkit:profile', critical: false, componentType: 'component', check: () => result };
}
