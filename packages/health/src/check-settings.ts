// The settings every check takes (name, critical, timeouts, …), read once for built-in factories and `checks` alike.
import { LbkitError } from '@lbkit/core';
import { type OptionReader, show } from '@lbkit/core/internal';
import type { CheckOptions } from './types.js';

/** Option names of {@link CheckOptions}: what every check object and built-in factory accepts. */
export const CHECK_SETTINGS = [
  'name',
  'critical',
  'timeoutMs',
  'cacheMs',
  'startup',
  'componentType',
] as const satisfies ReadonlyArray<keyof CheckOptions>;

/** Keys of a check object: its settings, the check and its close function. */
export const CHECK_OBJECT_KEYS: readonly string[] = [...CHECK_SETTINGS, 'check', 'close'];

const PART = '[A-Za-z0-9._-]{1,64}';
// Anchored, no nested quantifiers: linear time on any input.
const NAME = new RegExp(`^${PART}(?::${PART})?$`);

/** The settings that were given, validated; a setting left out stays out. */
export function readCheckSettings(reader: OptionReader<CheckOptions>): CheckOptions {
  const settings: { -readonly [K in keyof CheckOptions]: CheckOptions[K] } = {};
  const name = reader.get('name');
  if (name !== undefined) settings.name = checkName(reader.name('name'), name);
  const critical = reader.boolean('critical', undefined);
  if (critical !== undefined) settings.critical = critical;
  const timeoutMs = reader.milliseconds('timeoutMs', undefined, 1);
  if (timeoutMs !== undefined) settings.timeoutMs = timeoutMs;
  const cacheMs = reader.milliseconds('cacheMs', undefined, 0);
  if (cacheMs !== undefined) settings.cacheMs = cacheMs;
  const startup = reader.boolean('startup', undefined);
  if (startup !== undefined) settings.startup = startup;
  const componentType = reader.string('componentType', undefined);
  if (componentType !== undefined) settings.componentType = componentType;
  return settings;
}

/** `name` when it is `component` or `component:measurement`; `where` names it in the error. */
export function checkName(where: string, name: unknown): string {
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
