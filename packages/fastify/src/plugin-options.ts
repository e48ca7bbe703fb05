// Splits a plugin's register options: Fastify's own keys, the plugin's own (checked here), and the capability's (checked by its package).
import { closestName, OptionReader } from '@lbkit/core/internal';

/** What Fastify itself reads from register options (`RegisterOptions` of fastify/types/register.d.ts). */
export const FASTIFY_REGISTER_KEYS: readonly string[] = ['prefix', 'logLevel', 'logSerializers'];

/** The register options of one plugin, split. */
export interface PluginOptions<T extends object> {
  /** The plugin's own options (and Fastify's), read with `LBKIT_FASTIFY_OPTION_*` codes. */
  readonly own: OptionReader<T>;
  /** The capability's options, for its package to check with its own codes. */
  readonly rest: Record<string, unknown>;
}

/**
 * Reads the options Fastify passed to `plugin`. Fastify hands a plugin its register options as
 * given, its own keys included (a `fastify-plugin` plugin is not encapsulated, so Fastify applies
 * none of them to it), so those are taken out and never reach the capability, except the ones in
 * `shared`, which the capability reads itself (`metricsPlugin`'s `prefix` names metrics). With
 * `capability` false every other name is refused here; otherwise the other names are the
 * capability's, except a slip of one of the plugin's own names (`pth` for `path`): that is refused
 * here, where the name it was meant to be is known.
 */
export function readPluginOptions<T extends object>(
  plugin: string,
  options: unknown,
  own: readonly (keyof T & string)[],
  capability: boolean,
  shared: readonly string[] = [],
): PluginOptions<T> {
  const fastify = FASTIFY_REGISTER_KEYS.filter((key) => !shared.includes(key));
  const known = [...own, ...fastify];
  if (!capability || typeof options !== 'object' || options === null || Array.isArray(options)) {
    return { own: new OptionReader<T>('FASTIFY', plugin, options, known), rest: {} };
  }
  const mine: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (known.includes(key) || (!shared.includes(key) && closestName(key, own) !== undefined)) {
      mine[key] = value;
    } else rest[key] = value;
  }
  return { own: new OptionReader<T>('FASTIFY', plugin, mine, known), rest };
}
