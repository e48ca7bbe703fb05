// Validates the `checks` option and fills in every check's settings from the health defaults.
import { LbkitError } from '@lbkit/core';
import type { ResolvedCheck } from './check-runner.js';
import type { CheckFunction, HealthOptions } from './types.js';
import { flag, milliseconds, show, text } from './validate.js';

/** Keys lbkit writes itself into detailed reports. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['lifecycle:state', 'uptime']);

const PART = '[A-Za-z0-9._-]{1,64}';
// Anchored, no nested quantifiers: linear time on any input.
const NAME = new RegExp(`^${PART}(?::${PART})?$`);

/** Defaults a check inherits from the health options. */
export interface CheckDefaults {
  readonly timeoutMs: number;
  readonly cacheMs: number;
}

/** Turns the `checks` option (array or record) into resolved checks, in order; throws on bad input. */
export function resolveChecks(checks: HealthOptions['checks'], defaults: CheckDefaults): ResolvedCheck[] {
  if (checks === undefined) return [];
  const entries: Array<[string | undefined, unknown]> = Array.isArray(checks)
    ? checks.map((input) => [undefined, input])
    : typeof checks === 'object' && checks !== null
      ? Object.entries(checks)
      : invalidChecks(checks);
  const seen = new Set<string>();
  return entries.map(([key, input], index) => {
    const check = resolveOne(key, input, index, defaults);
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
  key: string | undefined,
  input: unknown,
  index: number,
  defaults: CheckDefaults,
): ResolvedCheck {
  const where = key === undefined ? `checks[${index}]` : `checks.${key}`;
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
  if (
    typeof input !== 'object' ||
    input === null ||
    typeof (input as { check?: unknown }).check !== 'function'
  ) {
    throw new LbkitError(
      'LBKIT_HEALTH_CHECK_INVALID',
      `${where} must be a function or { name, check } with check a function, got ${show(input)}`,
      {
        hint: 'Pass a function (signal) => Promise<boolean | CheckResult>, or a built-in check such as redisCheck(client).',
      },
    );
  }
  const spec = input as Record<string, unknown>;
  const close = spec.close;
  if (close !== undefined && typeof close !== 'function') {
    throw new LbkitError(
      'LBKIT_HEALTH_CHECK_INVALID',
      `${where}.close must be a function, got ${show(close)}`,
      {
        hint: 'Leave close out, or pass a function releasing what the check holds.',
      },
    );
  }
  return {
    name: checkName(where, key ?? spec.name),
    check: spec.check as CheckFunction,
    critical: flag(`${where}.critical`, spec.critical, true),
    startup: flag(`${where}.startup`, spec.startup, false),
    timeoutMs: milliseconds(`${where}.timeoutMs`, spec.timeoutMs, defaults.timeoutMs, 1),
    cacheMs: milliseconds(`${where}.cacheMs`, spec.cacheMs, defaults.cacheMs, 0),
    componentType: text(`${where}.componentType`, spec.componentType) ?? 'component',
    close: close as (() => void | Promise<void>) | undefined,
  };
}

function checkName(where: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new LbkitError(
      'LBKIT_HEALTH_CHECK_NAME_INVALID',
      `${where} needs a name of the form component or component:measurement, got ${show(name)}`,
      {
        hint: 'Use 1-64 characters of A-Z a-z 0-9 . _ - on each side of the colon, e.g. "billing-api:responseTime"; anonymous functions need the object form { name, check } or a record key.',
      },
    );
  }
  return name;
}

function invalidChecks(checks: unknown): never {
  throw new LbkitError(
    'LBKIT_HEALTH_CHECK_INVALID',
    `checks must be an array or a record, got ${show(checks)}`,
    {
      hint: 'Pass checks: [redisCheck(client), { name: "api", check }] or checks: { api: check }.',
    },
  );
}
