// Keeps http.route low-cardinality: the first N distinct route templates, then `_OTHER`.

/** What a route past the bound, or too long to be a template, is reported as. */
export const OTHER_ROUTE = '_OTHER';
const MAX_LENGTH = 256;

/** Admits up to `max` distinct route templates; later new ones read as {@link OTHER_ROUTE}. */
export class RouteBound {
  readonly #seen = new Set<string>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** The value to report for `route`; undefined when no route matched (the attribute is left out). */
  name(route: string | undefined): string | undefined {
    if (route === undefined || route === '') return undefined;
    if (this.#seen.has(route)) return route;
    if (route.length > MAX_LENGTH || this.#seen.size >= this.#max) return OTHER_ROUTE;
    this.#seen.add(route);
    return route;
  }
}
