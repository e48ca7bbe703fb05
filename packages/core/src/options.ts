// The option kit every lbkit factory validates with: unknown keys, types, ranges and the un-called factory.
import { IncomingMessage, ServerResponse } from 'node:http';
import { LbkitError } from './errors.js';

/**
 * The package part of an error code: `LBKIT_<PACKAGE>_<SUBJECT>_<PROBLEM>`, for example
 * `LBKIT_SHUTDOWN_OPTION_UNKNOWN`. Every code lbkit raises starts with one of these.
 */
export type PackageCode =
  | 'CORE'
  | 'HEALTH'
  | 'CLIENT_IP'
  | 'SESSION'
  | 'SHUTDOWN'
  | 'SHEDDING'
  | 'METRICS'
  | 'FEEDBACK'
  | 'EXPRESS'
  | 'FASTIFY'
  | 'PROFILES'
  | 'DOCTOR';

/** setTimeout's largest delay; a longer one fires at once in Node. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A short, printable rendering of a bad value for error messages (never the whole value). */
export function show(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/**
 * The known name closest to `name`, when it is close enough to be a slip: the same letters in
 * another case, a known name that starts or ends with it (`drainDelay` → `drainDelayMs`), or an edit
 * distance of at most a third of its length (`chekcs` → `checks`), or else an abbreviation of a known
 * name: its letters in order, the same first letter, at least two thirds as long (`shedr` → `shedder`).
 */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const other = candidate.toLowerCase();
    let score: number;
    if (other === lower) score = 0;
    else if (lower.length >= 3 && (other.startsWith(lower) || lower.startsWith(other))) score = 1;
    else {
      const distance = editDistance(lower, other, Math.max(1, Math.floor(Math.max(lower.length, 3) / 3)));
      if (distance !== undefined) score = distance + 1;
      // Last resort, behind every closer match: an abbreviation.
      else if (isAbbreviation(lower, other)) score = Number.MAX_SAFE_INTEGER;
      else continue;
    }
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

function isAbbreviation(short: string, long: string): boolean {
  if (short.length < 3 || short[0] !== long[0] || short.length * 3 < long.length * 2) return false;
  let at = 0;
  for (const letter of short) {
    at = long.indexOf(letter, at) + 1;
    if (at === 0) return false;
  }
  return true;
}

// Optimal string alignment distance (adjacent swaps count once), or undefined beyond `limit`.
// Option names are short (bounded below), so the quadratic table costs nothing.
function editDistance(a: string, b: string, limit: number): number | undefined {
  if (a.length > 64 || b.length > 64 || Math.abs(a.length - b.length) > limit) return undefined;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const prev = rows[i - 1] as number[];
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (rows[i - 2] as number[])[j - 2]! + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  const distance = (rows[a.length] as number[])[b.length]!;
  return distance <= limit ? distance : undefined;
}

/** Options of one {@link OptionReader} check. */
interface Range {
  /** Smallest allowed value (inclusive). */
  readonly min?: number;
  /** Largest allowed value (inclusive). */
  readonly max?: number;
  /** Whole numbers only. */
  readonly integer?: boolean;
  /** The hint when the value is wrong; a generic one otherwise. */
  readonly hint?: string;
  /** The code when the value is wrong, for a package's more specific one; `…_OPTION_INVALID` otherwise. */
  readonly code?: string;
}

/**
 * Reads one options object for one factory: refuses a non-object, an unknown key (naming the
 * closest known one) and a value of the wrong type or range, each with a coded {@link LbkitError}:
 * `LBKIT_<PACKAGE>_OPTION_UNKNOWN` and `LBKIT_<PACKAGE>_OPTION_INVALID` unless told otherwise.
 * @internal Shared by lbkit's packages; not a public API.
 */
export class OptionReader<T extends object = Record<string, unknown>> {
  /** The options, as given (an empty object when none were). */
  readonly raw: T;
  readonly #pkg: PackageCode;
  readonly #owner: string;
  readonly #path: string;

  /**
   * @param pkg the package part of the codes, for example `'SHUTDOWN'`.
   * @param owner what the options are for, as the user wrote it, for example `'gracefulShutdown()'`.
   * @param options the options given; `undefined` reads as `{}`.
   * @param known every option name the factory takes.
   * @param path the name of this object inside its parent (`'queue'`), for nested option objects.
   */
  constructor(pkg: PackageCode, owner: string, options: unknown, known: readonly string[], path = '') {
    this.#pkg = pkg;
    this.#owner = owner;
    this.#path = path;
    if (options === undefined) options = {};
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw this.invalid(
        `${path || 'options'} must be an object, got ${show(options)}`,
        path
          ? `Pass an object for ${path}, or leave it out.`
          : `Pass an options object to ${owner}, or leave it out.`,
      );
    }
    if (isRequestLike(options)) {
      throw new LbkitError(
        `LBKIT_${pkg}_FACTORY_NOT_CALLED`,
        `${owner} was given a request instead of options`,
        {
          hint: `Call the factory: ${owner.replace(/\(\)$/, '')}({ ... }), not ${owner.replace(/\(\)$/, '')}.`,
        },
      );
    }
    for (const key of Object.keys(options)) {
      if (!known.includes(key)) throw this.unknown(key, known);
    }
    this.raw = options as T;
  }

  /** The value of `key` as given. */
  get<K extends keyof T & string>(key: K): T[K] {
    return this.raw[key];
  }

  /** The error for a value of the wrong type or range, with this reader's code. */
  invalid(message: string, hint: string, code = `LBKIT_${this.#pkg}_OPTION_INVALID`): LbkitError {
    return new LbkitError(code, `${this.#owner}: ${message}`, { hint });
  }

  /** The full name of `key` in messages (`queue.maxWaitMs`). */
  name(key: string): string {
    return this.#path ? `${this.#path}.${key}` : key;
  }

  /** A number within `range`, or `fallback` when the option is left out. */
  number<F extends number | undefined>(key: keyof T & string, fallback: F, range: Range = {}): number | F {
    const value: unknown = this.raw[key];
    if (value === undefined) return fallback;
    const { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY, integer = false } = range;
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      (integer && !Number.isInteger(value)) ||
      value < min ||
      value > max
    ) {
      const kind = integer ? 'a whole number' : 'a number';
      const span =
        min > Number.NEGATIVE_INFINITY && max < Number.POSITIVE_INFINITY
          ? ` from ${min} to ${max}`
          : min > Number.NEGATIVE_INFINITY
            ? ` ≥ ${min}`
            : max < Number.POSITIVE_INFINITY
              ? ` ≤ ${max}`
              : '';
      throw this.invalid(
        `${this.name(key)} must be ${kind}${span}, got ${show(value)}`,
        range.hint ?? `Check the ${this.name(key)} option.`,
        range.code,
      );
    }
    return value;
  }

  /** A whole number of milliseconds from `min` (default 0) to the largest timer delay. */
  milliseconds<F extends number | undefined>(
    key: keyof T & string,
    fallback: F,
    min = 0,
    hint?: string,
  ): number | F {
    return this.number(key, fallback, {
      min,
      max: MAX_TIMER_MS,
      integer: true,
      hint:
        hint ?? `Pass a whole number of milliseconds, for example ${this.name(key)}: ${Math.max(min, 1000)}.`,
    });
  }

  /** A boolean, or `fallback` when left out. */
  boolean<F extends boolean | undefined>(key: keyof T & string, fallback: F): boolean | F {
    const value: unknown = this.raw[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      throw this.invalid(
        `${this.name(key)} must be true or false, got ${show(value)}`,
        `Pass ${this.name(key)}: true or ${this.name(key)}: false.`,
      );
    }
    return value;
  }

  /** One of `choices`, or `fallback` when left out. */
  oneOf<C extends string | number | boolean, F extends C | undefined>(
    key: keyof T & string,
    choices: readonly C[],
    fallback: F,
  ): C | F {
    const value: unknown = this.raw[key];
    if (value === undefined) return fallback;
    if (!choices.includes(value as C)) {
      throw this.invalid(
        `${this.name(key)} must be ${choices.map((c) => JSON.stringify(c)).join(', ')}; got ${show(value)}`,
        `Pass one of ${choices.map((c) => JSON.stringify(c)).join(', ')}.`,
      );
    }
    return value as C;
  }

  /** A function, or undefined when left out. */
  function<F extends (...args: never[]) => unknown>(key: keyof T & string): F | undefined {
    const value: unknown = this.raw[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'function') {
      throw this.invalid(
        `${this.name(key)} must be a function, got ${show(value)}`,
        `Pass a function or leave it out.`,
      );
    }
    return value as F;
  }

  /** A string of 1 to `maxLength` printable characters, or `fallback` when left out. */
  string<F extends string | undefined>(key: keyof T & string, fallback: F, maxLength = 256): string | F {
    const value: unknown = this.raw[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value.length === 0 || value.length > maxLength || !isPrintable(value)) {
      throw this.invalid(
        `${this.name(key)} must be a string of 1 to ${maxLength} printable characters, got ${show(value)}`,
        `Check the ${this.name(key)} option.`,
      );
    }
    return value;
  }

  /** A reader of the nested options object under `key` (`{}` when left out). */
  nested<N extends object>(key: keyof T & string, known: readonly string[]): OptionReader<N> {
    return new OptionReader<N>(this.#pkg, this.#owner, this.raw[key], known, this.name(key));
  }

  private unknown(key: string, known: readonly string[]): LbkitError {
    const near = closestName(key, known);
    const full = this.name(key);
    return new LbkitError(
      `LBKIT_${this.#pkg}_OPTION_UNKNOWN`,
      `${this.#owner}: unknown option ${JSON.stringify(full)}${near ? ` — did you mean ${JSON.stringify(this.name(near))}?` : ''}`,
      { hint: `Known options${this.#path ? ` of ${this.#path}` : ''}: ${known.join(', ')}.` },
    );
  }
}

/**
 * True when `value` is a node:http request (or a framework request built on one), not options:
 * what a middleware factory receives when it is mounted without being called (`app.use(factory)`).
 */
export function isRequestLike(value: unknown): boolean {
  if (value instanceof IncomingMessage) return true;
  if (typeof value !== 'object' || value === null) return false;
  // Shape as well as class: a second copy of node:http's classes cannot exist, but frameworks wrap.
  const v = value as { method?: unknown; headers?: unknown; socket?: unknown; url?: unknown };
  return (
    typeof v.method === 'string' &&
    typeof v.headers === 'object' &&
    typeof v.url === 'string' &&
    'socket' in v
  );
}

const warned = new Set<string>();

/**
 * The un-called factory guard for middleware factories. Call it first, with the factory's
 * `arguments`: when the factory was mounted itself (`app.use(healthcheck)`), the arguments are
 * `(req, res, next)`. It then answers that request with a coded error — through `next(error)` when
 * there is a `next` (Express shows it, with its 500), else as a plain 500 — warns once per factory,
 * and returns true; the caller returns at once. It returns false for an ordinary call.
 */
export function answerUncalledFactory(pkg: PackageCode, factory: string, args: ArrayLike<unknown>): boolean {
  const req = args[0];
  if (!isRequestLike(req)) return false;
  const error = new LbkitError(
    `LBKIT_${pkg}_FACTORY_NOT_CALLED`,
    `${factory} was mounted without being called, so it received a request instead of options`,
    { hint: `Call it where you mount it: app.use(${factory}({ ... })), not app.use(${factory}).` },
  );
  if (!warned.has(error.code + factory)) {
    warned.add(error.code + factory);
    process.emitWarning(error.message, { code: error.code, detail: error.hint });
  }
  const next = args[2];
  if (typeof next === 'function') {
    next(error);
    return true;
  }
  const res = args[1];
  if (res instanceof ServerResponse && !res.headersSent) {
    const body = `${error.message}\n`;
    res.writeHead(500, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  } else if (res instanceof ServerResponse) {
    res.destroy(error);
  }
  return true;
}

function isPrintable(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}
