// examples/lb/pm2/ecosystem.config.cjs: loads with require(), cluster mode + wait_ready, timeouts that cover the drain.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { shutdownBudget } from './shutdown-budget.js';

interface Pm2App {
  name: string;
  script: string;
  cwd: string;
  exec_mode: string;
  instances: number | string;
  wait_ready: boolean;
  listen_timeout: number;
  kill_timeout: number;
  env: Record<string, string>;
}

const require = createRequire(import.meta.url);
const ecosystem = require('../../examples/lb/pm2/ecosystem.config.cjs') as { apps: Pm2App[] };
const app = ecosystem.apps[0]!;

describe('PM2 ecosystem file', () => {
  it('runs the demo app in cluster mode with more than one instance and waits for ready', () => {
    expect(ecosystem.apps).toHaveLength(1);
    expect(app.exec_mode).toBe('cluster');
    expect(Number(app.instances) > 1 || app.instances === 'max').toBe(true);
    expect(app.wait_ready).toBe(true);
    expect(app.script).toMatch(/examples[/\\]express[/\\]dist[/\\]main\.js$/);
    expect(existsSync(join(app.cwd, 'pnpm-workspace.yaml')), 'cwd is the repository root').toBe(true);
  });

  it('gives a stopping worker more time than drain delay + drain timeout + cleanup hooks before SIGKILL', () => {
    expect(app.kill_timeout).toBeGreaterThanOrEqual(shutdownBudget(app.env).totalMs);
    expect(app.listen_timeout).toBeGreaterThan(0);
  });

  it('the built worker sends ready over IPC within listen_timeout and exits 0 on SIGINT within kill_timeout', async () => {
    expect(existsSync(app.script), `${app.script} is missing: run pnpm build first`).toBe(true);
    const port = await freePort();
    // What PM2 gives a worker: an IPC channel, pm_id, the app's env and the instance_var.
    const child = fork(app.script, [], {
      cwd: app.cwd,
      env: { ...process.env, ...app.env, PORT: String(port), pm_id: '0', INSTANCE_ID: '0' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const exited = once(child, 'exit');
    try {
      const ready = new Promise<string>((resolve) => child.on('message', (m) => resolve(String(m))));
      const timeout = new Promise<string>((resolve) =>
        setTimeout(() => resolve('listen_timeout elapsed'), app.listen_timeout).unref(),
      );
      expect(await Promise.race([ready, timeout]), output).toBe('ready');
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(res.status).toBe(200);
      const started = Date.now();
      // PM2 stops a worker with SIGINT, then SIGKILL after kill_timeout.
      child.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      expect(code, output).toBe(0);
      expect(Date.now() - started).toBeLessThan(app.kill_timeout);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
