// The `probes` option: named probe routes, each path checked like the standard ones and given its own checks.
import { LbkitError } from '@lbkit/core';
import { type OptionReader, show } from '@lbkit/core/internal';
import type { ResolvedCheck } from './check-runner.js';
import { type CheckDefaults, resolveChecks } from './resolve-checks.js';
import type { HealthOptions, ProbeName } from './types.js';

/** `path` when it is a probe path no other probe uses; throws LBKIT_HEALTH_PATH_INVALID otherwise. */
export function checkPath(
  reader: OptionReader<object>,
  key: string,
  path: unknown,
  routes: Map<string, ProbeName>,
) {
  if (
    typeof path !== 'string' ||
    !/^\/[\x21-\x7e]{0,255}$/.test(path) ||
    path.includes('?') ||
    path.includes('#')
  ) {
    throw reader.invalid(
      `${reader.name(key)} must be a path such as /health/ready, got ${show(path)}`,
      'Start with /, no spaces, query or fragment; or pass false to disable the route.',
      'LBKIT_HEALTH_PATH_INVALID',
    );
  }
  if (routes.has(path)) {
    throw reader.invalid(
      `${reader.name(key)} repeats ${path}, already used by another probe`,
      'Give every probe its own path, or pass false to disable one.',
      'LBKIT_HEALTH_PATH_INVALID',
    );
  }
  return path as `/${string}`;
}

/**
 * The `probes` option: path → its own resolved checks. Adds each path to `routes` (checked against
 * the standard probes' paths) and each check name to `seen`.
 */
export function resolveProbes(
  owner: string,
  reader: OptionReader<HealthOptions>,
  routes: Map<string, ProbeName>,
  defaults: CheckDefaults,
  seen: Set<string>,
): ReadonlyMap<`/${string}`, readonly ResolvedCheck[]> {
  const probes = new Map<`/${string}`, readonly ResolvedCheck[]>();
  const given: unknown = reader.get('probes');
  if (given === undefined) return probes;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw reader.invalid(
      `probes must be a record of path → checks, got ${show(given)}`,
      "Pass for example probes: { '/health/db': [postgresCheck(pool)] }.",
    );
  }
  for (const [path, input] of Object.entries(given)) {
    const checked = checkPath(reader, `probes.${path}`, path, routes);
    const label = `probes.${path}`;
    const list: unknown = typeof input === 'function' ? [input] : input;
    if (!Array.isArray(list)) {
      throw new LbkitError(
        'LBKIT_HEALTH_CHECK_INVALID',
        `${label} must be a check function or an array of checks, got ${show(input)}`,
        {
          hint: "Pass for example probes: { '/health/db': [postgresCheck(pool)] } or { '/health/db': async () => true }.",
        },
      );
    }
    // A lone function is named after the path unless it has a usable name of its own: an arrow
    // function in `{ '/db': async () => … }` is named "/db" by the language, not a check name.
    const named =
      typeof input === 'function' && !/^[A-Za-z0-9._-]{1,64}$/.test(input.name)
        ? [{ name: probeCheckName(path), check: input }]
        : list;
    probes.set(checked, resolveChecks(owner, named, defaults, label, seen));
    routes.set(checked, checked);
  }
  return probes;
}

/** `/health/db` → `health.db`: a check name from a path, for an anonymous function. */
function probeCheckName(path: string): string {
  return (
    path
      .replace(/^\/+|\/+$/g, '')
      .replace(/[^A-Za-z0-9._-]+/g, '.')
      .slice(0, 64) || 'probe'
  );
}
