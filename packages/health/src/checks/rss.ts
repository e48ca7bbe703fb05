// rssCheck(): the resident set size of the process, against a limit.
import { totalmem } from 'node:os';
import type { CheckResult, HealthCheck, RssCheckOptions } from '../types.js';
import { checkOptions, grade, withSettings } from './settings.js';

const BYTES = { min: 1, max: Number.MAX_SAFE_INTEGER } as const;

/**
 * An RSS check (`memory:rss` in bytes, non-critical, `system`). Default limit: 90% of the cgroup
 * memory limit when the process runs under one (`process.constrainedMemory()`), else none.
 */
export function rssCheck(options: RssCheckOptions = {}): HealthCheck {
  const reader = checkOptions<RssCheckOptions>('rssCheck', options, ['maxBytes', 'warnBytes']);
  const maxBytes = reader.number('maxBytes', defaultLimit(), BYTES);
  const warnBytes = reader.number('warnBytes', undefined, BYTES);
  return withSettings(reader, { name: 'memory:rss', critical: false, componentType: 'system' })(
    function residentSetSize(): CheckResult {
      const rss = process.memoryUsage.rss();
      return { status: grade(rss, warnBytes, maxBytes), observedValue: rss, observedUnit: 'bytes' };
    },
  );
}

function defaultLimit(): number | undefined {
  // Without a cgroup limit Node reports 0, undefined, or a huge sentinel larger than the machine.
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  return constrained && constrained > 0 && constrained < totalmem()
    ? Math.floor(constrained * 0.9)
    : undefined;
}
