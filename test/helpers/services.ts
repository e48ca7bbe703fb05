// Decides whether a suite that needs an external service runs: skipped with a reason locally, fatal in CI.
import { spawnSync } from 'node:child_process';

/** True when CI=true: missing services fail the run instead of skipping suites. */
export const inCI = process.env.CI === 'true';

/** Absolute path of `command` on the PATH (or in the usual sbin folders), or undefined. */
export function findBinary(command: string): string | undefined {
  const path = `${process.env.PATH ?? ''}:/usr/sbin:/usr/local/sbin:/sbin`;
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { env: { ...process.env, PATH: path } });
  const out = found.stdout?.toString().trim();
  return found.status === 0 && out ? out : undefined;
}

/**
 * Use as `describe.runIf(requireService('redis-server', Boolean(findBinary('redis-server'))))(…)`.
 * When the service is missing it prints why the suite is skipped, or throws under CI=true so the
 * run fails loudly instead of passing with nothing tested.
 */
export function requireService(name: string, available: boolean, howToGet = `install ${name}`): boolean {
  if (available) return true;
  const message = `${name} is not available: ${howToGet}`;
  if (inCI) throw new Error(`[lbkit test] ${message} (required because CI=true)`);
  console.warn(`[lbkit test] skipping suite: ${message}`);
  return false;
}
