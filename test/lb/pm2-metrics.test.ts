// Under real PM2 cluster mode (3 instances, PM2's daemon as the primary), one scrape of any worker answers for all.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSamples, type Sample, sampleValue } from '../../packages/metrics/test/scrape.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { requireService } from '../helpers/services.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const APP = 'lbkit-pm2-metrics';
const N = 30;

/** A private PM2: its own PM2_HOME in a temp dir, so a user's PM2 is never touched. */
const home = mkdtempSync(join(tmpdir(), 'lbkit-pm2-'));
const pm2Home = join(home, 'pm2');
let pm2Bin: string | undefined;
try {
  pm2Bin = require.resolve('pm2/bin/pm2');
} catch {
  pm2Bin = undefined;
}

function pm2(...args: string[]): { status: number | null; out: string } {
  if (!pm2Bin) return { status: null, out: 'pm2 is not installed' };
  const run = spawnSync(process.execPath, [pm2Bin, ...args], {
    env: { ...process.env, PM2_HOME: pm2Home },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, out: `${run.stdout ?? ''}${run.stderr ?? ''}${run.error?.message ?? ''}` };
}

function killPm2(): void {
  pm2('kill');
  rmSync(home, { recursive: true, force: true });
}

/** Starts the private daemon (`pm2 ping`); whether it could. */
function pm2Starts(): { ok: boolean; why: string } {
  if (!pm2Bin) return { ok: false, why: 'pm2 is not installed (pnpm install)' };
  const ping = pm2('ping');
  return ping.status === 0
    ? { ok: true, why: '' }
    : { ok: false, why: `pm2 ping failed: ${ping.out.trim().slice(-300)}` };
}

const started = pm2Starts();
if (!started.ok) killPm2();

interface Pm2Process {
  readonly pid: number;
  readonly pm_id: number;
  readonly name: string;
  readonly pm2_env: { readonly status: string; readonly NODE_APP_INSTANCE: number };
}

function processes(): Pm2Process[] {
  const { out } = pm2('jlist');
  const json = out.split('\n').find((line) => line.startsWith('['));
  return (JSON.parse(json ?? '[]') as Pm2Process[]).filter((p) => p.name === APP);
}

/** The app PM2 runs: @lbkit/metrics' respond() on /metrics, a counter of the other requests, a gauge of pm_id. */
function appSource(): string {
  const metricsUrl = new URL('packages/metrics/dist/index.js', `file://${root}`).href;
  return `
import http from 'node:http';
import { createRequire } from 'node:module';
const { createMetrics } = await import(${JSON.stringify(metricsUrl)});
const require = createRequire(${JSON.stringify(join(root, 'package.json'))});
const { Counter, Gauge, Registry } = require('prom-client');
const registry = new Registry();
const requests = new Counter({ name: 'app_requests_total', help: 'Requests served.', registers: [registry] });
new Gauge({ name: 'app_pm_id', help: 'This worker pm_id.', registers: [registry] }).set(Number(process.env.pm_id));
const metrics = createMetrics({ registry });
const instance = Number(process.env.NODE_APP_INSTANCE);
const handler = (req, res) => {
  if (req.url === '/metrics') return metrics.respond(req, res);
  requests.inc();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ pmId: process.env.pm_id, instance }));
};
http.createServer(handler).listen(Number(process.env.APP_PORT), '127.0.0.1');
// A port of each instance's own, to scrape one chosen worker.
http.createServer(handler).listen(Number(process.env.INSTANCE_PORTS.split(',')[instance]), '127.0.0.1');
`;
}

async function scrape(port: number): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: { connection: 'close' },
    signal: AbortSignal.timeout(15_000),
  });
  expect(res.status).toBe(200);
  return parseSamples(await res.text());
}

describe.runIf(requireService('pm2', started.ok, started.why))(
  'PM2 cluster mode: one scrape for every worker',
  () => {
    let appPort = 0;
    let instancePorts: number[] = [];
    let workers: Pm2Process[] = [];
    let stopped: number | undefined;
    /** Requests each pm_id served. */
    const served = new Map<string, number>();

    beforeAll(async () => {
      execFileSync(
        process.execPath,
        [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/metrics'],
        {
          cwd: root,
          stdio: 'pipe',
        },
      );
      appPort = await freePort();
      instancePorts = [await freePort(), await freePort(), await freePort()];
      writeFileSync(join(home, 'app.mjs'), appSource());
      const apps = {
        apps: [
          {
            name: APP,
            script: join(home, 'app.mjs'),
            exec_mode: 'cluster',
            instances: 3,
            autorestart: false,
            // The peer directory goes under os.tmpdir(): this test's own.
            env: { APP_PORT: String(appPort), INSTANCE_PORTS: instancePorts.join(','), TMPDIR: home },
          },
        ],
      };
      writeFileSync(join(home, 'apps.json'), JSON.stringify(apps));
      const start = pm2('start', join(home, 'apps.json'));
      expect(start.status, start.out).toBe(0);
      for (const port of instancePorts) await waitForPort(port, '127.0.0.1', 20_000);
      await waitForPort(appPort);
      workers = processes();
      expect(workers.map((w) => w.pm2_env.status)).toEqual(['online', 'online', 'online']);
    }, 120_000);

    afterAll(() => {
      if (stopped !== undefined) {
        try {
          process.kill(stopped, 'SIGCONT');
        } catch {
          // Already gone.
        }
      }
      killPm2();
    });

    it(`counts ${N} requests across the 3 workers in one scrape of the shared port; gauges per worker`, async () => {
      for (let i = 0; i < N; i++) {
        const res = await fetch(`http://127.0.0.1:${appPort}/work`, { headers: { connection: 'close' } });
        const { pmId } = (await res.json()) as { pmId: string };
        served.set(pmId, (served.get(pmId) ?? 0) + 1);
      }
      const samples = await scrape(appPort);
      expect(sampleValue(samples, 'app_requests_total')).toBe(N);
      expect(sampleValue(samples, 'lbkit_scrape_scope', { scope: 'cluster' })).toBe(1);
      for (const worker of workers) {
        const id = String(worker.pm_id);
        expect(sampleValue(samples, 'app_pm_id', { worker: id })).toBe(worker.pm_id);
        expect(sampleValue(samples, 'lbkit_scrape_worker_up', { worker: id })).toBe(1);
      }
      expect(samples.filter((s) => s.name === 'app_pm_id')).toHaveLength(3);
    });

    it('a SIGSTOPped worker is reported missing; the scrape still answers for the others', async () => {
      const [victim, ...others] = workers as [Pm2Process, ...Pm2Process[]];
      stopped = victim.pid;
      process.kill(victim.pid, 'SIGSTOP');
      // Scrape a live worker on its own port (through the shared one, PM2 may hand it to the stopped worker).
      const instance = (others[0] as Pm2Process).pm2_env.NODE_APP_INSTANCE;
      const samples = await scrape(instancePorts[instance] as number);
      const victimId = String(victim.pm_id);
      expect(sampleValue(samples, 'lbkit_scrape_worker_up', { worker: victimId })).toBe(0);
      for (const other of others) {
        expect(sampleValue(samples, 'lbkit_scrape_worker_up', { worker: String(other.pm_id) })).toBe(1);
      }
      expect(sampleValue(samples, 'app_pm_id', { worker: victimId })).toBeUndefined();
      expect(sampleValue(samples, 'app_requests_total')).toBe(N - (served.get(victimId) ?? 0));
      expect(sampleValue(samples, 'lbkit_scrape_scope', { scope: 'cluster' })).toBe(1);
    });

    it('a resumed worker answers again; a SIGKILLed one leaves a socket that is reported down once and removed', async () => {
      const [victim, killed, live] = workers as [Pm2Process, Pm2Process, Pm2Process];
      process.kill(victim.pid, 'SIGCONT');
      stopped = undefined;
      const port = instancePorts[live.pm2_env.NODE_APP_INSTANCE] as number;
      const resumed = await scrape(port);
      for (const worker of workers) {
        expect(sampleValue(resumed, 'lbkit_scrape_worker_up', { worker: String(worker.pm_id) })).toBe(1);
      }
      expect(sampleValue(resumed, 'app_requests_total')).toBe(N);
      const dir = join(home, `lbkit-metrics-${process.getuid?.()}`);
      const socket = `${APP}.${killed.pm_id}.${killed.pid}.sock`;
      expect(readdirSync(dir)).toContain(socket);
      process.kill(killed.pid, 'SIGKILL');
      await expect
        .poll(() => processes().find((p) => p.pm_id === killed.pm_id)?.pm2_env.status)
        .not.toBe('online');
      const after = await scrape(port);
      expect(sampleValue(after, 'lbkit_scrape_worker_up', { worker: String(killed.pm_id) })).toBe(0);
      expect(sampleValue(after, 'app_requests_total')).toBe(N - (served.get(String(killed.pm_id)) ?? 0));
      await expect.poll(() => readdirSync(dir)).not.toContain(socket);
      const later = await scrape(port);
      expect(sampleValue(later, 'lbkit_scrape_worker_up', { worker: String(killed.pm_id) })).toBeUndefined();
    });
  },
);
