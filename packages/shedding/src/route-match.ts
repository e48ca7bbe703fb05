// Compiles exempt and liveness path prefixes into one allocation-free test on the request URL; the health object's probe paths.
import type { IncomingMessage } from 'node:http';
import type { ProbeRoutes } from './types.js';

/** Default prefixes that are never limited: the probes and the metrics scrape. */
export const DEFAULT_EXEMPT: readonly string[] = ['/health', '/metrics'];

/** Default liveness paths, exempt whatever `exempt` says. */
export const DEFAULT_LIVENESS: readonly string[] = ['/health/live', '/livez'];

/** Lower-cases a prefix and drops one trailing slash, so `/health/` and `/health` mean the same. */
export function normalisePrefix(prefix: string): string {
  const lower = prefix.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/**
 * True when the path of `url` is `prefix` or lies below it, on whole segments (`/health` matches
 * `/health`, `/health/ready` and `/health?x` but not `/healthy`). ASCII case-insensitive, as
 * Express and Fastify route case-insensitively by default. `prefix` must be normalised.
 */
export function pathHasPrefix(url: string, prefix: string): boolean {
  // Absolute-form request targets (`GET http://host/path`) carry the path after the authority.
  let start = 0;
  if (url.charCodeAt(0) !== 47 /* / */) {
    const scheme = url.indexOf('://');
    if (scheme < 0) return false;
    start = url.indexOf('/', scheme + 3);
    if (start < 0) return prefix === '/';
  }
  if (prefix === '/') return true;
  if (url.length - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    let c = url.charCodeAt(start + i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== prefix.charCodeAt(i)) return false;
  }
  const end = start + prefix.length;
  if (end === url.length) return true;
  const next = url.charCodeAt(end);
  return next === 47 /* / */ || next === 63 /* ? */ || next === 35 /* # */;
}

/** Builds the exemption test from the `exempt` and `liveness` options (already validated). */
export function compileExemption(
  exempt: readonly string[] | ((req: IncomingMessage) => boolean),
  liveness: readonly string[],
): (req: IncomingMessage) => boolean {
  const live = liveness.map(normalisePrefix);
  const isLive = (url: string): boolean => {
    for (const prefix of live) if (pathHasPrefix(url, prefix)) return true;
    return false;
  };
  if (typeof exempt === 'function') {
    return (req) => isLive(req.url ?? '') || exempt(req) === true;
  }
  const prefixes = [...new Set([...exempt.map(normalisePrefix), ...live])];
  return (req) => {
    const url = req.url ?? '';
    for (const prefix of prefixes) if (pathHasPrefix(url, prefix)) return true;
    return false;
  };
}

/** True for a `Health`'s shape: a map of probe paths. */
export function isProbeRoutes(value: unknown): value is ProbeRoutes {
  return typeof value === 'object' && value !== null && (value as { routes?: unknown }).routes instanceof Map;
}

/**
 * The paths a `Health` answers on, matched as it matches them: the whole path, before any query.
 * Read from `source` at the first request that finds it there, so the health object may be made
 * after the shedder (it is, when it runs `overloadCheck(shedder)`).
 */
export class ProbePaths {
  readonly #source: ProbeRoutes | (() => ProbeRoutes | undefined) | undefined;
  #paths: ReadonlySet<string> | undefined;

  constructor(source: ProbeRoutes | (() => ProbeRoutes | undefined) | undefined) {
    this.#source = source;
    if (typeof source === 'object') this.#paths = new Set(source.routes.keys());
  }

  /** True when `req` is for one of the probe paths. */
  has(req: IncomingMessage): boolean {
    if (this.#source === undefined) return false;
    const paths = this.#paths ?? this.#resolve();
    if (paths === undefined || paths.size === 0) return false;
    const url = req.url ?? '/';
    // indexOf, not a regular expression: this runs for every request.
    const query = url.indexOf('?');
    const fragment = url.indexOf('#');
    const end = query < 0 ? fragment : fragment < 0 ? query : Math.min(query, fragment);
    return paths.has(end < 0 ? url : url.slice(0, end));
  }

  #resolve(): ReadonlySet<string> | undefined {
    const found = (this.#source as () => ProbeRoutes | undefined)();
    if (!isProbeRoutes(found)) return undefined;
    this.#paths = new Set(found.routes.keys());
    return this.#paths;
  }
}
