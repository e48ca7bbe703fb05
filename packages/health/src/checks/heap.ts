// heapCheck(): V8 heap used as a share of the heap size limit.
import { getHeapStatistics } from 'node:v8';
import type { CheckResult, HealthCheck, HeapCheckOptions } from '../types.js';
import { numberInRange } from '../validate.js';
import { grade, round, withSettings } from './settings.js';

/**
 * A heap check (`heap:utilization` in percent, non-critical, `system`): fails above `maxRatio`
 * (default 0.9) of `heap_size_limit`, warns above `warnRatio` when given. Near the limit V8 spends
 * most of its time collecting garbage, which is when an instance should leave the pool.
 */
export function heapCheck(options: HeapCheckOptions = {}): HealthCheck {
  const maxRatio = numberInRange('heapCheck maxRatio', options.maxRatio, 0.9, 0, 1)!;
  const warnRatio = numberInRange('heapCheck warnRatio', options.warnRatio, undefined, 0, 1);
  return withSettings(
    options,
    { name: 'heap:utilization', critical: false, componentType: 'system' },
    function heapUtilization(): CheckResult {
      const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics();
      const ratio = used / limit;
      return {
        status: grade(ratio, warnRatio, maxRatio),
        observedValue: round(ratio * 100),
        observedUnit: 'percent',
      };
    },
  );
}
