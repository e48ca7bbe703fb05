// The `lifecycle` option every capability takes: a Lifecycle (of any copy of @lbkit/core), or the default one.
import { defaultLifecycle, isLifecycle, type Lifecycle } from './lifecycle.js';
import { type OptionReader, show } from './options.js';

/**
 * The Lifecycle under `key` (default `'lifecycle'`) of `reader`'s options, or `defaultLifecycle()`
 * when it is left out. Recognised by brand, not instanceof, so two copies of @lbkit/core in one
 * install still work together; anything else is `LBKIT_<PACKAGE>_OPTION_INVALID`.
 * @internal Shared by lbkit's packages; not a public API.
 */
export function lifecycleOption<T extends object>(reader: OptionReader<T>, key = 'lifecycle'): Lifecycle {
  const value: unknown = (reader.raw as Record<string, unknown>)[key];
  if (value === undefined) return defaultLifecycle();
  if (!isLifecycle(value)) {
    throw reader.invalid(
      `${reader.name(key)} must be a Lifecycle from @lbkit/core, got ${show(value)}`,
      'Pass the lifecycle your health, shedding and shutdown share (new Lifecycle()), or leave it out to use defaultLifecycle().',
    );
  }
  return value;
}
