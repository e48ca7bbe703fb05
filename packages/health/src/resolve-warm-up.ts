// Resolves the warmUp option once, at startup: named tasks, checked routes and headers, the budget.
import { type OptionReader, show } from '@lbkit/core/internal';
import type { HealthOptions, WarmUpOptions, WarmUpTask } from './types.js';

/** The warm-up with every setting validated. */
export interface ResolvedWarmUp {
  readonly tasks: readonly { readonly name: string; readonly run: WarmUpTask }[];
  readonly routes: readonly string[];
  readonly repeat: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly budgetMs: number;
}

/** Defaults documented in the README's options table. */
export const WARM_UP_DEFAULTS = { budgetMs: 10_000, repeat: 1 } as const;

const WARM_UP_OPTIONS = ['tasks', 'routes', 'repeat', 'headers', 'budgetMs'] as const satisfies ReadonlyArray<
  keyof WarmUpOptions
>;

const MAX_ROUTES = 100;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
// A path and query a request line can carry: no spaces, no control characters, no fragment.
const ROUTE = /^\/[!$&'()*+,;=:@%/?A-Za-z0-9._~-]{0,2047}$/;

/** The `warmUp` option validated, or undefined when it is left out. */
export function resolveWarmUp(reader: OptionReader<HealthOptions>): ResolvedWarmUp | undefined {
  if (reader.get('warmUp') === undefined) return undefined;
  const options = reader.nested<WarmUpOptions>('warmUp', WARM_UP_OPTIONS);
  return {
    tasks: resolveTasks(options),
    routes: resolveRoutes(options),
    repeat: options.number('repeat', WARM_UP_DEFAULTS.repeat, { min: 1, max: 1000, integer: true }),
    headers: resolveHeaders(options),
    budgetMs: options.milliseconds('budgetMs', WARM_UP_DEFAULTS.budgetMs, 1),
  };
}

function resolveTasks(options: OptionReader<WarmUpOptions>): ResolvedWarmUp['tasks'] {
  const tasks: unknown = options.get('tasks');
  if (tasks === undefined) return [];
  if (typeof tasks !== 'object' || tasks === null) {
    throw options.invalid(
      `${options.name('tasks')} must be an array of functions or a record of them, got ${show(tasks)}`,
      'Pass for example tasks: [async function primePool(signal) { await pool.query("SELECT 1"); }].',
    );
  }
  const entries: [string | undefined, unknown][] = Array.isArray(tasks)
    ? tasks.map((task: unknown) => [undefined, task])
    : Object.entries(tasks);
  return entries.map(([key, run], i) => {
    if (typeof run !== 'function') {
      throw options.invalid(
        `${options.name('tasks')}[${JSON.stringify(key ?? i)}] must be a function (signal) => …, got ${show(run)}`,
        'Pass a function that takes an AbortSignal and may return a promise.',
      );
    }
    return { name: key ?? (run.name || `task-${i + 1}`), run: run as WarmUpTask };
  });
}

function resolveRoutes(options: OptionReader<WarmUpOptions>): readonly string[] {
  const routes: unknown = options.get('routes');
  if (routes === undefined) return [];
  if (!Array.isArray(routes) || routes.length > MAX_ROUTES) {
    throw options.invalid(
      `${options.name('routes')} must be an array of at most ${MAX_ROUTES} paths, got ${show(routes)}`,
      "Pass for example routes: ['/hello', '/products?page=1'].",
    );
  }
  for (const route of routes) {
    if (typeof route !== 'string' || !ROUTE.test(route)) {
      throw options.invalid(
        `every entry of ${options.name('routes')} must be a path starting with /, got ${show(route)}`,
        "Pass the path and query only, for example '/hello?name=warm'; the origin is the server's.",
      );
    }
  }
  return Object.freeze([...routes]);
}

function resolveHeaders(options: OptionReader<WarmUpOptions>): Readonly<Record<string, string>> {
  const given: unknown = options.get('headers');
  const headers: Record<string, string> = {};
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) {
    throw options.invalid(
      `${options.name('headers')} must be an object of header names to strings, got ${show(given)}`,
      "Pass for example headers: { accept: 'application/json' }.",
    );
  }
  for (const [name, value] of Object.entries(given ?? {})) {
    if (!HEADER_NAME.test(name) || typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw options.invalid(
        `${options.name('headers')}.${name} must be a header name with a string value, got ${show(value)}`,
        'Header names are tokens (letters, digits, -); values carry no line breaks.',
      );
    }
    headers[name.toLowerCase()] = value;
  }
  headers['user-agent'] ??= 'lbkit-warm-up';
  return Object.freeze(headers);
}
