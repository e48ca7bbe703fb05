// The `cluster` option of createMetrics(): on/off, and the peer directory (explicit, or found under PM2).
import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LbkitError } from '@lbkit/core';
import { type OptionReader, show } from '@lbkit/core/internal';
import type { MergeRules } from './cluster-merge.js';
import type { ClusterPeersOptions, MetricsOptions, PromRegistry } from './types.js';

const OPTIONS = [
  'peers',
  'dir',
  'name',
  'id',
  'timeoutMs',
  'maxBytes',
  'summedGauges',
  'workerLabel',
] as const;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;
const PART = /^[a-zA-Z0-9_-]{1,64}$/;
/** Longest socket path: macOS takes 103 bytes, Linux 107. */
const MAX_PATH = 103;
/** The merge under PM2 when nothing is configured. */
const DEFAULT_RULES: MergeRules = { workerLabel: 'worker', summedGauges: new Set() };
/** Default bound of one peer's answer. */
export const PEER_MAX_BYTES = 16 * 1024 * 1024;

/** Where this process's peers listen, and how one scrape gathers them. */
export interface PeerSettings {
  /** The private directory of every peer's socket. */
  readonly dir: string;
  /** The app's name: peers are the sockets named `<name>.<id>.<pid>.sock`. */
  readonly name: string;
  /** This process's worker label value (PM2's `pm_id`). */
  readonly id: string;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly rules: MergeRules;
  /** Why the directory cannot be used (only when it was found under PM2, not asked for). */
  readonly unavailable?: string;
}

/** What `cluster` says: whether to aggregate at all, and through which peers when there is no primary. */
export interface ClusterSetting {
  readonly enabled: boolean;
  readonly peers?: PeerSettings;
}

/**
 * Reads `cluster`: `true` (default) or `false`, or `{ peers: 'directory', … }`. With `true` under PM2
 * (`pm_id` and `name` in the environment) the peer directory is on with its defaults; a directory
 * that is not private then turns it off rather than failing the app. Asked for explicitly, an unsafe
 * directory throws `LBKIT_METRICS_PEER_DIR_UNSAFE`.
 */
export function clusterSetting(
  reader: OptionReader<MetricsOptions<PromRegistry>>,
  env: NodeJS.ProcessEnv = process.env,
): ClusterSetting {
  const value: unknown = reader.get('cluster');
  if (value === undefined || value === true) {
    if (env.pm_id === undefined || env.name === undefined) return { enabled: true };
    const name = env.name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 48) || 'app';
    const id =
      String(env.pm_id)
        .replace(/[^a-zA-Z0-9_-]/g, '_')
        .slice(0, 16) || '0';
    return {
      enabled: true,
      peers: settings(defaultDir(), name, id, 1000, PEER_MAX_BYTES, DEFAULT_RULES, false),
    };
  }
  if (value === false) return { enabled: false };
  if (typeof value !== 'object' || value === null) {
    throw reader.invalid(
      `cluster must be true, false or { peers: 'directory' }, got ${show(value)}`,
      "Pass cluster: false to opt out, or cluster: { peers: 'directory' } to find the other workers without a primary.",
    );
  }
  const nested = reader.nested<ClusterPeersOptions>('cluster', OPTIONS);
  if (nested.oneOf('peers', ['directory'] as const, undefined) === undefined) {
    throw nested.invalid(
      "cluster.peers is required in an object: 'directory'",
      "Pass cluster: { peers: 'directory' } (optionally with dir, name, id), or cluster: true.",
    );
  }
  const dir = nested.string('dir', undefined, 100) ?? defaultDir();
  const name = part(
    nested,
    'name',
    env.name === undefined ? 'app' : env.name.replace(/[^a-zA-Z0-9_-]/g, '_'),
  );
  const id = part(nested, 'id', env.pm_id ?? String(process.pid));
  const timeoutMs = nested.milliseconds('timeoutMs', 1000, 1);
  const maxBytes = nested.number('maxBytes', PEER_MAX_BYTES, {
    min: 1024,
    max: 1024 * 1024 * 1024,
    integer: true,
  });
  return { enabled: true, peers: settings(dir, name, id, timeoutMs, maxBytes, rules(nested), true) };
}

function part(reader: OptionReader<ClusterPeersOptions>, key: 'name' | 'id', fallback: string): string {
  const value = reader.string(key, fallback.slice(0, 64) || 'app', 64);
  if (!PART.test(value)) {
    throw reader.invalid(
      `${reader.name(key)} ${show(value)} may hold letters, digits, _ and - only`,
      `It names this worker's socket file; for example ${reader.name(key)}: ${key === 'name' ? "'api'" : "'0'"}.`,
    );
  }
  return value;
}

function rules(reader: OptionReader<ClusterPeersOptions>): MergeRules {
  const workerLabel = reader.string('workerLabel', 'worker', 64);
  if (!LABEL.test(workerLabel)) {
    throw reader.invalid(
      `cluster.workerLabel ${show(workerLabel)} is not a label name`,
      "Use letters, digits and _, not starting with a digit (for example 'worker').",
    );
  }
  const summed: unknown = reader.get('summedGauges') ?? [];
  if (!Array.isArray(summed) || summed.some((name) => typeof name !== 'string')) {
    throw reader.invalid(
      `cluster.summedGauges must be an array of metric names, got ${show(summed)}`,
      "For example summedGauges: ['lbkit_requests_in_flight'], or leave it out.",
    );
  }
  return { workerLabel, summedGauges: new Set(summed as string[]) };
}

function defaultDir(): string {
  return join(tmpdir(), `lbkit-metrics-${process.getuid?.() ?? 'user'}`);
}

function settings(
  dir: string,
  name: string,
  id: string,
  timeoutMs: number,
  maxBytes: number,
  mergeRules: MergeRules,
  explicit: boolean,
): PeerSettings {
  const base = { dir, name, id, timeoutMs, maxBytes, rules: mergeRules };
  const problem = unsafeDir(dir, `${name}.${id}.${process.pid}.sock`);
  if (problem === undefined) return base;
  if (!explicit) return { ...base, unavailable: problem };
  throw new LbkitError(
    'LBKIT_METRICS_PEER_DIR_UNSAFE',
    `createMetrics(): cluster.dir ${show(dir)} ${problem}`,
    {
      hint: 'Give a directory of your own with mode 0700 (it is created so when missing), and a short path: sockets take at most 103 bytes.',
    },
  );
}

/** Why `dir` cannot hold the sockets (made 0700 when missing), or undefined when it can. */
export function unsafeDir(dir: string, file: string): string | undefined {
  if (process.platform === 'win32') return 'is not supported on Windows (no unix domain sockets)';
  if (Buffer.byteLength(join(dir, file)) > MAX_PATH) return `is too long for a socket path (${file} in it)`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory()) return 'is not a directory';
    if (process.getuid && stat.uid !== process.getuid()) return 'belongs to another user';
    if ((stat.mode & 0o077) !== 0) return `is open to other users (mode ${(stat.mode & 0o777).toString(8)})`;
  } catch (error) {
    return `cannot be created (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  return undefined;
}
