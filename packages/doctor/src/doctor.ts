// runDoctor(): every check against one running instance, in the order a balancer meets them.
import { checkDrain } from './check-drain.js';
import { checkExposure } from './check-exposure.js';
import { checkForwarded } from './check-forwarded.js';
import { checkKeepAlive } from './check-keep-alive.js';
import { checkProbes } from './check-probes.js';
import { ask } from './http-request.js';
import { readSettings } from './options.js';
import type { DoctorOptions, Finding } from './types.js';

/**
 * Checks the instance at `url` from the balancer's side and resolves with one finding per check
 * (`fail` for what will go wrong). The drain check runs last and only with `pid`: it stops the process.
 * Throws `LBKIT_DOCTOR_URL_INVALID` or `LBKIT_DOCTOR_OPTION_*` on misuse, before any request.
 */
export async function runDoctor(url: string | URL, options?: DoctorOptions): Promise<Finding[]> {
  const settings = readSettings(url, options);
  const reached = await ask(settings.base, { method: 'HEAD', timeoutMs: settings.requestTimeoutMs }).then(
    () => undefined,
    (error: Error) => error,
  );
  // Every other check would fail the same way; one finding says it.
  if (reached) {
    return [
      {
        id: 'reachable',
        status: 'fail',
        message: `${settings.base.origin} does not answer: ${reached.message}`,
        fix: 'Check the URL, and that the instance is running and listening on that address.',
      },
    ];
  }
  const findings = await checkProbes(settings);
  const forwarded = await checkForwarded(settings);
  findings.push(...forwarded.findings);
  findings.push(...(await checkExposure(settings, forwarded.peer)));
  findings.push(...(await checkKeepAlive(settings)));
  findings.push(...(await checkDrain(settings)));
  return findings;
}
