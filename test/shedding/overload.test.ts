// Both demo apps driven above capacity on /work: shedding happens, probes answer quickly, liveness is never shed.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Lifecycle } from '@lbkit/core';
import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../examples/shared/src/index.js';
import { type DemoServerFactory, demoServers } from '../helpers/demo-servers.js';

const factories: Record<string, DemoServerFactory> = demoServers;

// Each /work request burns 10 ms of CPU, so one process serves at most ~100 a second; the load
// process offers three times that, on a fixed schedule (open loop), from its own process and core.
const WORK = '/work?ms=10';
const RATE = 300;
const LOAD_MS = 2500;
// The issue asks for probes that keep answering quickly. A probe waits at most for the loop turn it
// arrives in (bounded by turnBudgetMs plus the rejections read with it), but the machine running
// the tests is shared and a descheduled process stalls for a few hundred ms now and then; so the
// typical probe is held to a tight bound and the slowest to a loose one. Unshed, probes wait behind
// every request read before them: hundreds of ms to seconds (bench/overload measures it).
const PROBE_MEDIAN_MS = 100;
const PROBE_P90_MS = 250;
const PROBE_MAX_MS = 1000;
const LOAD_SCRIPT = fileURLToPath(new URL('./fixtures/open-loop.mjs', import.meta.url));

interface Probe {
  path: string;
  status: number;
  health: string;
  ms: number;
}

interface Counts {
  ok: number;
  shed: number;
  other: number;
  failed: number;
}

async function overload(url: string): Promise<Counts & { probes: Probe[] }> {
  const child = spawn(process.execPath, [LOAD_SCRIPT, url, WORK, String(RATE), String(LOAD_MS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = once(child, 'exit');
  const probePool = new Pool(url, { connections: 2, pipelining: 1 });
  const probes: Probe[] = [];
  try {
    // Probes on their own warm connections, every 100 ms while the load runs.
    await (await probePool.request({ path: '/health/live', method: 'GET' })).body.dump();
    const until = performance.now() + LOAD_MS;
    await sleep(300);
    while (performance.now() < until - 200) {
      for (const path of ['/health/live', '/health/ready']) {
        const started = performance.now();
        const res = await probePool.request({ path, method: 'GET' });
        const body = (await res.body.json()) as { status: string };
        probes.push({ path, status: res.statusCode, health: body.status, ms: performance.now() - started });
      }
      await sleep(100);
    }
    await exited;
  } finally {
    child.kill();
    await probePool.close();
  }
  return { ...(JSON.parse(output) as Counts), probes };
}

describe.each(Object.keys(factories))('%s demo app above capacity', (framework) => {
  const factory = factories[framework]!;

  it('sheds /work, answers every probe 200 (pass or warn) quickly, and never sheds liveness', async () => {
    const lifecycle = new Lifecycle();
    const server = await factory({ config: readConfig({ INSTANCE_ID: `overload-${framework}` }), lifecycle });
    lifecycle.markReady();
    try {
      const result = await overload(server.url);
      expect(result.shed).toBeGreaterThan(0);
      expect(result.ok).toBeGreaterThan(0);
      expect(result.other + result.failed).toBe(0);
      expect(result.probes.length).toBeGreaterThanOrEqual(10);
      for (const probe of result.probes) {
        expect(probe.status, `${probe.path} answered ${probe.status}`).toBe(200);
        expect(['pass', 'warn']).toContain(probe.health);
      }
      const times = result.probes.map((p) => p.ms).sort((a, b) => a - b);
      expect(times[Math.floor(times.length / 2)]).toBeLessThan(PROBE_MEDIAN_MS);
      expect(times[Math.floor(times.length * 0.9)]).toBeLessThan(PROBE_P90_MS);
      expect(times.at(-1)).toBeLessThan(PROBE_MAX_MS);
      // Load gone, the next request is served at once.
      const after = await fetch(`${server.url}${WORK}`);
      expect(after.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
