// The HAProxy agent-check answer for one load reading: state words and a weight from the headroom.
import type { LoadReading } from './types.js';

/**
 * What HAProxy is told (see "agent-check" in the HAProxy configuration manual):
 * - `ready` → `up ready N%`: `ready` cancels a DRAIN or MAINT an earlier process of this server
 *   left behind (only the agent can undo what the agent did), and N is the headroom
 *   `1 − utilization` in percent of the configured weight, never below `minWeightPercent`;
 * - `starting` → `down #starting`: not in the pool until it is ready;
 * - `draining` → `drain`: no new connections, persistent ones still routed while in-flight work ends;
 * - `stopped` → `maint #stopped`: nothing at all, and HAProxy stops health-checking a server that
 *   is going away. The next process on this address answers `up ready` and lifts it.
 *
 * `weightFactor` (0–1, the slow-start ramp) scales the weight before the minimum applies.
 */
export function agentReply(load: LoadReading, minWeightPercent: number, weightFactor = 1): string {
  switch (load.state) {
    case 'starting':
      return 'down #starting';
    case 'draining':
      return 'drain';
    case 'stopped':
      return 'maint #stopped';
    default:
      return `up ready ${weightPercent(load.utilization, minWeightPercent, weightFactor)}%`;
  }
}

/**
 * Headroom times `weightFactor` in whole percent, clamped to [min, 100]; NaN or negative load counts
 * as idle.
 */
export function weightPercent(utilization: number, minWeightPercent: number, weightFactor = 1): number {
  const headroom = utilization > 0 ? 1 - utilization : 1;
  return Math.min(100, Math.max(minWeightPercent, Math.round(headroom * weightFactor * 100)));
}
