// eventLoopDelayCheck(): how late the event loop ran timers since the previous run of the check.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { CheckResult, EventLoopDelayCheckOptions, HealthCheck } from '../types.js';
import { checkOptions, grade, round, withSettings } from './settings.js';

const DELAY_MS = { min: 0, max: 3_600_000 } as const;

/**
 * An event-loop delay check (`eventLoop:delay` in ms, non-critical, `system`): the `percentile`
 * (default p99) of the delays sampled since the previous run, against `maxMs` (default 500). The
 * monitor starts here, its timer does not keep the process alive, and `close()` (called by
 * `Health.close()`) disables it.
 */
export function eventLoopDelayCheck(options: EventLoopDelayCheckOptions = {}): HealthCheck {
  const reader = checkOptions<EventLoopDelayCheckOptions>('eventLoopDelayCheck', options, [
    'maxMs',
    'warnMs',
    'percentile',
    'resolutionMs',
  ]);
  const maxMs = reader.number('maxMs', 500, DELAY_MS);
  const warnMs = reader.number('warnMs', undefined, DELAY_MS);
  const percentile = reader.number('percentile', 99, { min: 1, max: 100 });
  const resolutionMs = reader.milliseconds('resolutionMs', 20, 1);
  const build = withSettings(reader, { name: 'eventLoop:delay', critical: false, componentType: 'system' });
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  let closed = false;
  return build(
    function eventLoopDelay(): CheckResult {
      if (closed) return { status: 'fail', output: 'event-loop monitor closed' };
      // The histogram records whole intervals between samples; the delay is what exceeds the resolution.
      const sampled = histogram.count > 0 ? histogram.percentile(percentile) / 1e6 : resolutionMs;
      histogram.reset();
      const delay = round(Math.max(0, sampled - resolutionMs));
      return { status: grade(delay, warnMs, maxMs), observedValue: delay, observedUnit: 'ms' };
    },
    () => {
      closed = true;
      histogram.disable();
    },
  );
}
