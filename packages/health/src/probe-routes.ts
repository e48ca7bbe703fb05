// Finds the probe a request URL names, rejecting every other URL with a few length and character tests.
import type { ProbeName } from './types.js';

const QUERY = 0x3f; // '?'

/**
 * The probe routes, matched against `req.url` (path and query). Every request of the application
 * passes through `Health.handle()` (Express mounts it as middleware), and almost none is a probe:
 * a URL is looked up only when its length, or the position of a `?`, fits some probe path, so
 * other requests cost a handful of comparisons and no string is hashed or sliced.
 */
export class ProbeRoutes {
  readonly #routes: ReadonlyMap<string, ProbeName>;
  /** The distinct lengths of the probe paths, shortest first. */
  readonly #lengths: readonly number[];

  constructor(routes: ReadonlyMap<string, ProbeName>) {
    this.#routes = routes;
    this.#lengths = [...new Set([...routes.keys()].map((path) => path.length))].sort((a, b) => a - b);
  }

  /** The probe `url` names (`/health/ready` or `/health/ready?x`), undefined for any other URL. */
  match(url: string): ProbeName | undefined {
    const n = url.length;
    const lengths = this.#lengths;
    for (let i = 0; i < lengths.length; i++) {
      const length = lengths[i] as number;
      if (length > n) return undefined;
      if (length === n) return this.#routes.get(url);
      if (url.charCodeAt(length) === QUERY) {
        const probe = this.#routes.get(url.slice(0, length));
        if (probe !== undefined) return probe;
      }
    }
    return undefined;
  }
}
