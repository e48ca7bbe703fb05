// A readiness check for @lbkit/health: sustained shedding reports warn (or fail); liveness is never touched.
import { OptionReader, show } from '@lbkit/core/internal';
import type { LoadShedder } from './load-shedder.js';
import type { OverloadCheckOptions, OverloadCheckResult, OverloadHealthCheck } from './types.js';

const NAME = /^[A-Za-z0-9._-]{1,64}(?::[A-Za-z0-9._-]{1,64})?$/;
const KNOWN: readonly (keyof OverloadCheckOptions)[] = ['name', 'status', 'sustainedMs', 'minShedRatio'];

/**
 * Builds a readiness check in @lbkit/health's object form. It passes until the shedder has been
 * shedding at least `minShedRatio` of requests for `sustainedMs`; then it reports `status`, so the
 * balancer moves traffic elsewhere (`fail`) or operators see it (`warn`). Pass it to readiness
 * only: lbkit's liveness probe never runs checks, so overload can never get an instance restarted.
 */
export function overloadCheck(shedder: LoadShedder, options?: OverloadCheckOptions): OverloadHealthCheck {
  const o = new OptionReader<OverloadCheckOptions>('SHEDDING', 'overloadCheck()', options, KNOWN);
  const name = o.string('name', 'shedding:overload', 129);
  if (!NAME.test(name)) {
    throw o.invalid(
      `name must be component or component:measurement, got ${show(name)}`,
      'Use 1–64 of A-Z a-z 0-9 . _ - on each side of one colon, for example shedding:overload.',
    );
  }
  const status = o.oneOf('status', ['warn', 'fail'] as const, 'warn');
  const sustainedMs = o.number('sustainedMs', 10_000, {
    min: 0,
    hint: 'For example 10000: report overload once shedding has lasted ten seconds.',
  });
  const minShedRatio = o.number('minShedRatio', 0.01, {
    min: 0,
    max: 1,
    hint: 'For example 0.01: shedding counts once at least 1% of requests are shed.',
  });
  async function check(): Promise<OverloadCheckResult> {
    const ratio = shedder.shedRatio();
    const sheddingFor = shedder.sheddingForMs();
    const percent = Math.round(ratio * 1000) / 10;
    if (sheddingFor >= sustainedMs && sheddingFor > 0 && ratio >= minShedRatio) {
      return {
        status,
        observedValue: percent,
        observedUnit: 'percent',
        output: `shedding ${percent}% of requests for ${Math.round(sheddingFor / 1000)} s (limit ${shedder.limit}, ${shedder.queued} queued)`,
      };
    }
    return { status: 'pass', observedValue: percent, observedUnit: 'percent' };
  }
  return { name, critical: status === 'fail', componentType: 'system', check };
}
