// eventLoopDelayCheck(): how late the event loop ran timers since the previous run of the check.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { CheckResult, EventLoopDelayCheckOptions, HealthCheck } from '../types.js';
import { milliseconds, numberInRange } from '../validate.js';
import { grade, round, withSettings } from './settings.js';

/**
 * An event-loop delay check (`eventLoop:delay` in ms, non-critical, `system`): the `percentile`
 * (default p99) of the delays sampled since the previous run, against `maxMs` (default 500). The
 * monitor starts here, its timer does not keep the process alive, and `close()` (called by
 * `Health.close()`) disables it.
 */
export function eventLoopDelayCheck(options: EventLoopDelayCheckOptions = {}): HealthCheck {
  const maxMs = numberInRange('eventLoopDelayCheck maxMs', options.maxMs, 500, 0, 3_600_000)!;
  const warnMs = numberInRange('eventLoopDelayCheck warnMs', options.warnMs, undefined, 0, 3_600_000);
  const percentile = numberInRange('eventLoopDelayCheck percentile', options.percentile, 99, 1, 100)!;
  const resolutionMs = milliseconds('eventLoopDelayCheck resolutionMs', options.resolutionMs, 20, 1);
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  let closed = false;
  return withSettings(
    options,
    { name: 'eventLoop:delay', critical: false, componentType: 'system' },
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
