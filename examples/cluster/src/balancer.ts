// `--lb haproxy|nginx`: the repository's examples/lb configuration rendered with the demo's ports, run in the foreground.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary, waitForPort } from './sessions.js';

/** A balancer started by the demo. */
export interface Balancer {
  readonly kind: 'haproxy' | 'nginx';
  /** The configuration file it runs (a rendering of examples/lb). */
  readonly config: string;
  stop(): void;
}

/** Slots the examples/lb configurations have (APP1_PORT … APP3_PORT). */
export const BALANCED_SLOTS = 3;

/**
 * Starts HAProxy (examples/lb/haproxy.cfg) or nginx (examples/lb/nginx.conf) on `port` in front of
 * `appPorts`. Returns undefined when the binary is not installed.
 */
export async function startBalancer(
  kind: 'haproxy' | 'nginx',
  port: number,
  appPorts: readonly number[],
): Promise<Balancer | undefined> {
  const binary = findBinary(kind);
  if (!binary) return undefined;
  const dir = mkdtempSync(join(tmpdir(), `lbkit-demo-${kind}-`));
  chmodSync(dir, 0o755);
  const file = kind === 'haproxy' ? 'haproxy.cfg' : 'nginx.conf';
  const template = readFileSync(fileURLToPath(new URL(`../../lb/${file}`, import.meta.url)), 'utf8');
  const values: Record<string, string> = { DIR: dir, PORT: String(port) };
  appPorts.forEach((p, i) => {
    values[`APP${i + 1}_PORT`] = String(p);
  });
  const text = template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (match, name: string) => values[name] ?? match);
  const config = join(dir, file);
  writeFileSync(config, text);
  const args =
    kind === 'haproxy' ? ['-f', config, '-db'] : ['-p', dir, '-c', config, '-e', join(dir, 'error.log')];
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port);
  } catch (error) {
    stop();
    throw error;
  }
  return { kind, config, stop };
}
