// Validates clusterPrimary() options once, before the first fork, into the values the primary reads.
import { availableParallelism } from 'node:os';
import { closestName, OptionReader, show } from '@lbkit/core/internal';
import { BALANCES } from './cluster-balance.js';
import { duration, loggerOption, signalList } from './options.js';
import { BACKOFF_KEYS, type ResolvedBackoff, resolveBackoff } from './respawn-backoff.js';
import type { ClusterBalance, ClusterPrimaryOptions, RespawnBackoff, ShutdownLogger } from './types.js';

/** clusterPrimary() options with every default applied. */
export interface ResolvedPrimaryOptions {
  readonly workers: number;
  readonly env: (slot: number) => Record<string, string>;
  readonly readyTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly reloadSignal: NodeJS.Signals | false;
  readonly signals: readonly NodeJS.Signals[];
  readonly exit: boolean;
  readonly backoff: ResolvedBackoff;
  readonly logger: ShutdownLogger | undefined;
  readonly balance: ClusterBalance;
  /** Where the primary listens, for every policy but `round-robin`. */
  readonly listen: { readonly port: number; readonly host: string | undefined } | undefined;
}

// `satisfies` makes the compiler check this list against ClusterPrimaryOptions, both ways.
const KNOWN = Object.keys({
  workers: true,
  env: true,
  readyTimeoutMs: true,
  stopTimeoutMs: true,
  reloadSignal: true,
  signals: true,
  exit: true,
  respawn: true,
  logger: true,
  balance: true,
  port: true,
  host: true,
} satisfies Record<keyof ClusterPrimaryOptions, true>);

/** Throws an `LbkitError` with a stable code on the first problem (unknown keys included). */
export function resolvePrimaryOptions(given?: ClusterPrimaryOptions): ResolvedPrimaryOptions {
  const options = new OptionReader<ClusterPrimaryOptions>('SHUTDOWN', 'clusterPrimary()', given, KNOWN);
  const workers: unknown = options.get('workers') ?? availableParallelism();
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1 || workers > 1024) {
    throw options.invalid(
      `workers must be a whole number from 1 to 1024, got ${show(workers)}`,
      'Leave it out to start one worker per available CPU.',
      'LBKIT_SHUTDOWN_CLUSTER_WORKERS_INVALID',
    );
  }
  const reloadSignal: unknown = options.get('reloadSignal');
  if (Array.isArray(reloadSignal)) {
    throw options.invalid(
      'reloadSignal must be one signal name or false, got an array',
      "Pass reloadSignal: 'SIGHUP' (the default), another catchable signal, or false for none.",
      'LBKIT_SHUTDOWN_SIGNAL_INVALID',
    );
  }
  const balance = balanceOption(options);
  const port = portOption(options, false);
  const host = options.string('host', undefined);
  if (balance !== 'round-robin' && port === undefined) {
    throw options.invalid(
      `balance ${JSON.stringify(balance)} needs the port: the primary listens and hands each connection to a worker`,
      `Pass port (and host) to clusterPrimary(), for example { balance: ${JSON.stringify(balance)}, port: 3000 }.`,
      'LBKIT_SHUTDOWN_CLUSTER_PORT_INVALID',
    );
  }
  return {
    balance,
    listen: balance === 'round-robin' || port === undefined ? undefined : { port, host },
    workers,
    env: options.function<(slot: number) => Record<string, string>>('env') ?? (() => ({})),
    readyTimeoutMs: duration(options, 'readyTimeoutMs', 30_000),
    stopTimeoutMs: duration(options, 'stopTimeoutMs', 30_000),
    reloadSignal:
      reloadSignal === false ? false : (signalList(options, 'reloadSignal', ['SIGHUP'])[0] as NodeJS.Signals),
    signals: signalList(options, 'signals', ['SIGTERM', 'SIGINT']),
    exit: options.boolean('exit', true),
    backoff: resolveBackoff(options.nested<RespawnBackoff>('respawn', BACKOFF_KEYS)),
    logger: loggerOption(options, 'logger'),
  };
}

/** One of {@link BALANCES} (default `round-robin`); anything else is refused with the closest name. */
export function balanceOption(options: OptionReader<{ balance?: ClusterBalance }>): ClusterBalance {
  const value: unknown = options.get('balance');
  if (value === undefined) return 'round-robin';
  if ((BALANCES as readonly unknown[]).includes(value)) return value as ClusterBalance;
  const near = typeof value === 'string' ? closestName(value, BALANCES) : undefined;
  throw options.invalid(
    `balance must be ${BALANCES.map((b) => JSON.stringify(b)).join(', ')}; got ${show(value)}${near ? ` — did you mean ${JSON.stringify(near)}?` : ''}`,
    "Leave it out for node:cluster's round robin; see the README for what each policy is for.",
    'LBKIT_SHUTDOWN_CLUSTER_BALANCE_INVALID',
  );
}

/** A TCP port from 0 to 65535 (`LBKIT_SHUTDOWN_CLUSTER_PORT_INVALID`), required or not. */
export function portOption<R extends boolean>(
  options: OptionReader<{ port?: number }>,
  required: R,
): R extends true ? number : number | undefined {
  const port = options.number('port', undefined, {
    min: 0,
    max: 65_535,
    integer: true,
    code: 'LBKIT_SHUTDOWN_CLUSTER_PORT_INVALID',
    hint: 'Pass the port clients connect to, for example port: 3000.',
  });
  if (required && port === undefined) {
    throw options.invalid(
      'port is required',
      'Pass the port clients connect to, for example port: 3000.',
      'LBKIT_SHUTDOWN_CLUSTER_PORT_INVALID',
    );
  }
  return port as R extends true ? number : number | undefined;
}
