// Loads prom-client, an optional peer dependency, only when metrics are created.
import { createRequire } from 'node:module';
import { LbkitError } from '@lbkit/core';

/** The prom-client module. */
export type PromClient = typeof import('prom-client');

let loaded: PromClient | undefined;

/** prom-client as the application installed it; throws `LBKIT_METRICS_PROM_CLIENT_MISSING` when it is not. */
export function promClient(): PromClient {
  if (loaded) return loaded;
  try {
    // CommonJS package: require() resolves the application's copy, the one its registry comes from.
    loaded = createRequire(import.meta.url)('prom-client') as PromClient;
  } catch (error) {
    throw new LbkitError('LBKIT_METRICS_PROM_CLIENT_MISSING', 'prom-client is not installed', {
      hint: 'Install it next to @lbkit/metrics: npm install prom-client (15.x).',
      cause: error,
    });
  }
  return loaded;
}
