// Options of both demo apps' createApp(), beyond what the environment configures.
import type { Lifecycle } from '@lbkit/core';
import type { HealthCheckInput } from '@lbkit/health';
import type { LoadSheddingOptions } from '@lbkit/shedding';
import type { DemoConfig } from './config.js';

/** What a demo instance needs: its configuration and the lifecycle of its process. */
export interface DemoAppOptions {
  readonly config: DemoConfig;
  readonly lifecycle: Lifecycle;
  /** Health settings beyond the environment, for tests and embedding. */
  readonly health?: DemoHealthOptions;
  /** Load-shedding options (the lifecycle is filled in), or `false` for none (benchmarks compare). */
  readonly shedding?: Omit<LoadSheddingOptions, 'lifecycle'> | false;
}

/** Extra health checks and who may read the detailed report (default: callers on this host, see localCallersOnly). */
export interface DemoHealthOptions {
  readonly extraChecks?: readonly HealthCheckInput[];
  /** How long check results are reused (default 1000 ms). */
  readonly cacheMs?: number;
  readonly token?: string;
  readonly trustedNetworks?: readonly string[];
}
