// The `config.lbkit` of a route, typed through Fastify's FastifyContextConfig: the flag lbkit's plugins set and read.
import type { Health } from '@lbkit/health';

/** A probe as healthPlugin's routes name it: `readiness`, `liveness`, `startup`, … */
type RouteProbe = Health['routes'] extends ReadonlyMap<string, infer P> ? P : never;

/** What lbkit puts in, and reads from, a route's `config.lbkit`. */
export interface LbkitRouteConfig {
  /**
   * Set on healthPlugin's probe routes and on metricsPlugin's scrape. Fastify runs every
   * application hook on every route, so lbkit's own hooks (load shedding) recognise such routes by
   * it and leave them alone, wherever their paths are. Set it on a route of your own
   * (`config: { lbkit: { probe: 'metrics' } }`) for the same treatment.
   */
  readonly probe?: RouteProbe | 'metrics';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** lbkit's flags for this route: see {@link LbkitRouteConfig}. */
    lbkit?: LbkitRouteConfig;
  }
}
