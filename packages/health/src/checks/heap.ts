// heapCheck(): V8 heap used as a share of the heap size limit.
import { getHeapStatistics } from 'node:v8';
import type { CheckResult, HealthCheck, HeapCheckOptions } from '../types.js';
import { checkOptions, grade, round, withSettings } from './settings.js';

/**
 * A heap check (`heap:utilization` in percent, non-critical, `system`): fails above `maxRatio`
 * (default 0.9) of `heap_size_limit`, warns above `warnRatio` when given. Near the limit V8 spends
 * most of its time collecting garbage, which is when an instance should leave the pool.
 */
export function heapCheck(options: HeapCheckOptions = {}): HealthCheck {
  const reader = checkOptions<HeapCheckOptions>('heapCheck', options, ['maxRatio', 'warnRatio']);
  const maxRatio = reader.number('maxRatio', 0.9, { min: 0, max: 1 });
  const warnRatio = reader.number('warnRatio', undefined, { min: 0, max: 1 });
  return withSettings(reader, { name: 'heap:utilization', critical: false, componentType: 'system' })(
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
