// The idle timeouts of well-known balancers, for `--behind` (sources in the README).
import type { KnownBalancer } from './types.js';

/** Default idle timeout, in seconds, of each known balancer's connections to its targets. */
export const BALANCER_IDLE_TIMEOUTS_S: Readonly<Record<KnownBalancer, number>> = {
  'aws-alb': 60,
  'aws-nlb': 350,
  'gcp-lb': 600,
  'azure-lb': 240,
  cloudflare: 900,
  nginx: 60,
};
