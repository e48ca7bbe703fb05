// A readiness check for @lbkit/health: sustained shedding reports warn (or fail); liveness is never touched.
import { LbkitError } from '@lbkit/core';
import type { LoadShedder } from './load-shedder.js';
import type { OverloadCheckOptions, OverloadCheckResult, OverloadHealthCheck } from './types.js';

const NAME = /^[A-Za-z0-9._-]{1,64}(?::[A-Za-z0-9._-]{1,64})?$/;

/**
 * Builds a readiness check in @lbkit/health's object form. It passes until the shedder has been
 * shedding at least `minShedRatio` of requests for `sustainedMs`; then it reports `status`, so the
 * balancer moves traffic elsewhere (`fail`) or operators see it (`warn`). Pass it to readiness
 * only: lbkit's liveness probe never runs checks, so overload can never get an instance restarted.
 */
export function overloadCheck(shedder: LoadShedder, options: OverloadCheckOptions = {}): OverloadHealthCheck {
  const code = 'LBKIT_SHEDDING_CHECK_INVALID';
  const name = options.name ?? 'shedding:overload';
  const status = options.status ?? 'warn';
  const sustainedMs = options.sustainedMs ?? 10_000;
  const minShedRatio = options.minShedRatio ?? 0.01;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new LbkitError(
      code,
      `name must be component or component:measurement, got ${JSON.stringify(name)}`,
      {
        hint: 'Use 1–64 of A-Z a-z 0-9 . _ - on each side of one colon, for example shedding:overload.',
      },
    );
  }
  if (status !== 'warn' && status !== 'fail') {
    throw new LbkitError(code, `status must be 'warn' or 'fail', got ${JSON.stringify(status)}`, {
      hint: "'warn' keeps readiness at HTTP 200; 'fail' takes the instance out of rotation while overloaded.",
    });
  }
  if (!Number.isFinite(sustainedMs) || sustainedMs < 0) {
    throw new LbkitError(code, `sustainedMs must be a number ≥ 0, got ${String(sustainedMs)}`, {
      hint: 'For example 10000: report overload once shedding has lasted ten seconds.',
    });
  }
  if (!Number.isFinite(minShedRatio) || minShedRatio < 0 || minShedRatio > 1) {
    throw new LbkitError(code, `minShedRatio must be between 0 and 1, got ${String(minShedRatio)}`, {
      hint: 'For example 0.01: shedding counts once at least 1% of requests are shed.',
    });
  }
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
