// Private nginx / HAProxy instances for end-to-end tests: a template from examples/lb rendered into a temp dir.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForPort } from './ports.js';
import { findBinary } from './services.js';

/** Absolute paths of the balancers, or undefined when not installed. */
export const nginxBinary = findBinary('nginx');
export const haproxyBinary = findBinary('haproxy');

/** A running balancer owned by one test file. */
export interface BalancerProcess {
  /** Its temp folder (config, pid, logs, certificates). */
  readonly dir: string;
  /** What it wrote to stderr and its error log so far, for failure messages. */
  logs(): string;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes its folder. */
  stop(): Promise<void>;
}

/** Fills `{{NAME}}` placeholders; throws when one is left without a value. */
export function renderTemplate(template: string, values: Record<string, string | number>): string {
  const text = template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (match, name: string) =>
    name in values ? String(values[name]) : match,
  );
  const left = /\{\{[A-Z0-9_]+\}\}/.exec(text);
  if (left) throw new Error(`template placeholder ${left[0]} has no value`);
  return text;
}

/**
 * Renders `examples/lb/<template>` with `values` (plus DIR, the temp folder), writes `files` beside
 * it, starts the binary in the foreground, and resolves once every port in `ports` accepts.
 */
export async function startBalancer(options: {
  kind: 'nginx' | 'haproxy';
  template: string;
  values: Record<string, string | number>;
  files?: Record<string, string>;
  ports: number[];
}): Promise<BalancerProcess> {
  const binary = options.kind === 'nginx' ? nginxBinary : haproxyBinary;
  if (!binary) throw new Error(`${options.kind} is not installed`);
  const dir = mkdtempSync(join(tmpdir(), `lbkit-${options.kind}-`));
  // Worker processes may run as another user when started as root: they must reach their temp paths.
  chmodSync(dir, 0o755);
  for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), content);
  const template = readFileSync(new URL(`../../examples/lb/${options.template}`, import.meta.url), 'utf8');
  const config = join(dir, options.kind === 'nginx' ? 'nginx.conf' : 'haproxy.cfg');
  writeFileSync(config, renderTemplate(template, { ...options.values, DIR: dir }));
  const args =
    options.kind === 'nginx'
      ? ['-p', dir, '-c', config, '-e', join(dir, 'error.log')]
      : ['-f', config, '-db'];
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const logs = (): string => {
    let errorLog = '';
    try {
      errorLog = readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {}
    return `${stderr}${errorLog}`;
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      Promise.all(options.ports.map((port) => waitForPort(port))),
      exited.then(() => {
        throw new Error(`${options.kind} exited at startup:\n${logs()}`);
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { dir, logs, stop };
}

/**
 * `show stat` on the admin socket (`haproxy.sock` in `dir`) of an HAProxy started by
 * {@link startBalancer}: each server of `backend` (the BACKEND row left out) with its columns by name.
 */
export async function haproxyServerStats(
  dir: string,
  backend = 'app',
): Promise<Record<string, Record<string, string>>> {
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(join(dir, 'haproxy.sock'));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    socket.write('show stat\n');
  });
  const [header = '', ...rows] = text.split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const out: Record<string, Record<string, string>> = {};
  for (const row of rows) {
    const cells = row.split(',');
    const server = cells[columns.indexOf('svname')];
    if (cells[0] !== backend || !server || server === 'BACKEND') continue;
    out[server] = Object.fromEntries(columns.map((name, i) => [name, cells[i] ?? '']));
  }
  return out;
}
