// `pnpm demo` options, from the command line and the environment.
import { parseArgs } from 'node:util';
import type { ClusterBalance } from '@lbkit/shutdown';

const BALANCES: readonly ClusterBalance[] = ['round-robin', 'least-connections', 'least-loaded', 'ip-hash'];

/** What the demo runs. */
export interface DemoOptions {
  /** Port of the app (node:cluster's shared port, or the balancer's). */
  readonly port: number;
  readonly host: string;
  /** Port of the live page. */
  readonly dashboardPort: number;
  readonly instances: number;
  /** A real balancer in front, or node:cluster alone. */
  readonly lb: 'haproxy' | 'nginx' | undefined;
  /** How node:cluster alone spreads connections (clusterPrimary's `balance`); round robin by default. */
  readonly balance: ClusterBalance;
  readonly drainDelayMs: number;
  readonly drainTimeoutMs: number;
}

const USAGE = `usage: pnpm demo [--lb haproxy|nginx] [--instances N] [--port P] [--dashboard-port P]
       [--balance round-robin|least-connections|least-loaded|ip-hash]   (node:cluster alone, without --lb)
(pnpm demo -- --lb haproxy works too: a leading -- is ignored)
environment: PORT, HOST, INSTANCES, DASHBOARD_PORT, BALANCE, REDIS_URL, DRAIN_DELAY_MS, DRAIN_TIMEOUT_MS`;

function whole(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(
      `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}\n${USAGE}`,
    );
  }
  return value;
}

/** Reads the options; throws with the usage when one is malformed. A leading `--` is ignored. */
export function readDemoOptions(argv: readonly string[], env: NodeJS.ProcessEnv): DemoOptions {
  const { values } = parseArgs({
    // pnpm 10 passes `pnpm demo -- --lb x` on as `-- --lb x`, which parseArgs reads as positionals.
    args: argv[0] === '--' ? argv.slice(1) : [...argv],
    options: {
      lb: { type: 'string' },
      balance: { type: 'string' },
      instances: { type: 'string' },
      port: { type: 'string' },
      'dashboard-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) throw new Error(USAGE);
  const lb = values.lb;
  if (lb !== undefined && lb !== 'haproxy' && lb !== 'nginx') {
    throw new Error(`--lb must be haproxy or nginx, got ${JSON.stringify(lb)}\n${USAGE}`);
  }
  const balance = values.balance ?? (env.BALANCE || 'round-robin');
  if (!(BALANCES as readonly string[]).includes(balance)) {
    throw new Error(`--balance must be ${BALANCES.join(', ')}; got ${JSON.stringify(balance)}\n${USAGE}`);
  }
  const port = whole('PORT', values.port ?? env.PORT, 3000, 0, 65_535);
  return {
    port,
    host: env.HOST || '127.0.0.1',
    dashboardPort: whole('DASHBOARD_PORT', values['dashboard-port'] ?? env.DASHBOARD_PORT, 3100, 0, 65_535),
    instances: whole('INSTANCES', values.instances ?? env.INSTANCES, 3, 1, 16),
    lb,
    balance: balance as ClusterBalance,
    // Long enough to watch an instance drain on the page.
    drainDelayMs: whole('DRAIN_DELAY_MS', env.DRAIN_DELAY_MS, 2000, 0, 600_000),
    drainTimeoutMs: whole('DRAIN_TIMEOUT_MS', env.DRAIN_TIMEOUT_MS, 10_000, 0, 600_000),
  };
}
