// Validates the `checks` option and fills in every check's settings from the health defaults.
import { LbkitError } from '@lbkit/core';
import { OptionReader, show } from '@lbkit/core/internal';
import type { ResolvedCheck } from './check-runner.js';
import { CHECK_OBJECT_KEYS, checkName, readCheckSettings } from './check-settings.js';
import type { CheckFunction, HealthCheck, HealthOptions } from './types.js';

/** Keys lbkit writes itself into detailed reports. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['lifecycle:state', 'lifecycle:warmUp', 'uptime']);

/** Defaults a check inherits from the health options. */
export interface CheckDefaults {
  readonly timeoutMs: number;
  readonly cacheMs: number;
}

/**
 * Turns the `checks` option (array or record) into resolved checks, in order; throws on bad input.
 * `label` names the option in errors (`probes./health/db`); `seen` carries names across calls, so a
 * named probe's check cannot reuse a name another probe's check has (metrics key them by name).
 */
export function resolveChecks(
  owner: string,
  checks: HealthOptions['checks'],
  defaults: CheckDefaults,
  label = 'checks',
  seen: Set<string> = new Set(),
): ResolvedCheck[] {
  if (checks === undefined) return [];
  const entries: Array<[string | undefined, unknown]> = Array.isArray(checks)
    ? checks.map((input) => [undefined, input])
    : typeof checks === 'object' && checks !== null
      ? Object.entries(checks)
      : invalidChecks(label, checks);
  return entries.map(([key, input], index) => {
    const check = resolveOne(owner, label, key, input, index, defaults);
    if (seen.has(check.name) || RESERVED_NAMES.has(check.name)) {
      throw new LbkitError(
        'LBKIT_HEALTH_CHECK_DUPLICATE',
        `two checks are named ${JSON.stringify(check.name)}`,
        {
          hint: RESERVED_NAMES.has(check.name)
            ? `${check.name} is written by lbkit itself; choose another name.`
            : 'Give each check its own name (option `name` of the built-in checks).',
        },
      );
    }
    seen.add(check.name);
    return check;
  });
}

function resolveOne(
  owner: string,
  label: string,
  key: string | undefined,
  input: unknown,
  index: number,
  defaults: CheckDefaults,
): ResolvedCheck {
  const where = key === undefined ? `${label}[${index}]` : `${label}.${key}`;
  if (typeof input === 'function') {
    return {
      name: checkName(where, key ?? input.name),
      check: input as CheckFunction,
      critical: true,
      startup: false,
      timeoutMs: defaults.timeoutMs,
      cacheMs: defaults.cacheMs,
      componentType: 'component',
      close: undefined,
    };
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw notACheck(where, input);
  // A misspelt key (`chek`, `timeout`) is refused by name before the missing check function is.
  const reader = new OptionReader<HealthCheck>('HEALTH', owner, input, CHECK_OBJECT_KEYS, where);
  const check = reader.get('check');
  if (typeof check !== 'function') throw notACheck(where, input);
  const close = reader.get('close');
  if (close !== undefined && typeof close !== 'function') {
    throw new LbkitError(
      'LBKIT_HEALTH_CHECK_INVALID',
      `${where}.close must be a function, got ${show(close)}`,
      {
        hint: 'Leave close out, or pass a function releasing what the check holds.',
      },
    );
  }
  const settings = readCheckSettings(reader);
  return {
    name: key === undefined ? (settings.name ?? checkName(where, undefined)) : checkName(where, key),
    check,
    critical: settings.critical ?? true,
    startup: settings.startup ?? false,
    timeoutMs: settings.timeoutMs ?? defaults.timeoutMs,
    cacheMs: settings.cacheMs ?? defaults.cacheMs,
    componentType: settings.componentType ?? 'component',
    close,
  };
}

function notACheck(where: string, input: unknown): LbkitError {
  return new LbkitError(
    'LBKIT_HEALTH_CHECK_INVALID',
    `${where} must be a function or { name, check } with check a function, got ${show(input)}`,
    {
      hint: 'Pass a function (signal) => Promise<boolean | CheckResult>, or a built-in check such as redisCheck(client).',
    },
  );
}

function invalidChecks(label: string, checks: unknown): never {
  throw new LbkitError(
    'LBKIT_HEALTH_CHECK_INVALID',
    `${label} must be an array or a record, got ${show(checks)}`,
    {
      hint: 'Pass checks: [redisCheck(client), { name: "api", check }] or checks: { api: check }.',
    },
  );
}
