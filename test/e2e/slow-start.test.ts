// Slow start against a real HAProxy (issue #16): a newly ready instance gets a growing share of new requests over SLOW_START_MS.
import { once } from 'node:events';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lifecycle } from '@lbkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../examples/express/src/app.js';
import { readConfig } from '../../examples/shared/src/index.js';
import {
  type BalancerProcess,
  haproxyBinary,
  haproxyServerStats,
  startBalancer,
} from '../helpers/lb-process.js';
import { freePort } from '../helpers/ports.js';
import { requireService } from '../helpers/services.js';

const SLOW_START_MS = 4000;
/** The template's agent-inter: HAProxy reads a new weight this often. */
const AGENT_INTER_MS = 500;
/** Length of one tally window: two weight updates in each. */
const WINDOW_MS = 1000;
/** Requests in flight at once: enough requests per window on a loaded machine. */
const CLIENTS = 4;

interface Instance {
  readonly lifecycle: Lifecycle;
  readonly server: Server;
  readonly agentPort: number;
  close(): Promise<void>;
}

/** One Express demo instance, configured from its environment as the demo's main.ts does. */
async function startInstance(id: string, env: Record<string, string> = {}): Promise<Instance> {
  const lifecycle = new Lifecycle();
  const agentPort = await freePort();
  const config = readConfig({ INSTANCE_ID: id, AGENT_CHECK_PORT: String(agentPort), ...env });
  const { app, close } = await createApp({ config, lifecycle });
  const server = createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  lifecycle.inFlight.attach(server);
  return {
    lifecycle,
    server,
    agentPort,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await close();
    },
  };
}

/** Status and last agent-check result of each server of backend `app`. */
async function serverStatus(dir: string): Promise<Record<string, { status: string; agent: string }>> {
  const stats = await haproxyServerStats(dir);
  return Object.fromEntries(
    Object.entries(stats).map(([server, row]) => [
      server,
      { status: row.status ?? '', agent: row.agent_status ?? '' },
    ]),
  );
}

/** One request to /whoami through HAProxy on a fresh connection; the instance that answered. */
function whoami(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/whoami', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve((JSON.parse(text) as { instance: string }).instance)
          : reject(new Error(`${res.statusCode}`)),
      );
    }).on('error', reject);
  });
}

/**
 * The new instance's share of requests (CLIENTS at a time, each on a fresh connection) in
 * consecutive windows of WINDOW_MS, the last one starting once `lastFrom` (a `performance.now()`
 * time) has passed.
 */
async function sharesOfNew(port: number, lastFrom: number): Promise<{ share: number; total: number }[]> {
  const out: { share: number; total: number }[] = [];
  for (let last = false; !last; ) {
    last = performance.now() >= lastFrom;
    const end = Date.now() + WINDOW_MS;
    let total = 0;
    let fresh = 0;
    const client = async (): Promise<void> => {
      while (Date.now() < end) {
        if ((await whoami(port)) === 'new') fresh++;
        total++;
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
    out.push({ share: fresh / total, total });
  }
  return out;
}

/**
 * A warm instance and a new one behind HAProxy (examples/lb/haproxy-agent-check.cfg.template); the
 * new one becomes ready just before HAProxy starts, so its window begins with the first requests.
 */
async function runPool(newEnv: Record<string, string>): Promise<{ share: number; total: number }[]> {
  const warm = await startInstance('warm');
  instances.push(warm);
  warm.lifecycle.markReady();
  const fresh = await startInstance('new', newEnv);
  instances.push(fresh);
  const port = await freePort();
  fresh.lifecycle.markReady();
  balancer = await startBalancer({
    kind: 'haproxy',
    template: 'haproxy-agent-check.cfg.template',
    values: {
      PORT: port,
      APP_A_PORT: (warm.server.address() as AddressInfo).port,
      APP_B_PORT: (fresh.server.address() as AddressInfo).port,
      AGENT_A_PORT: warm.agentPort,
      AGENT_B_PORT: fresh.agentPort,
    },
    ports: [port],
  });
  const dir = balancer.dir;
  for (const deadline = Date.now() + 5000; ; await sleep(20)) {
    const status = await serverStatus(dir);
    // Until its first agent answer (up to one agent-inter after start) HAProxy weighs B at the full 100.
    if ([status.a, status.b].every((s) => s?.status === 'UP' && s.agent === 'L7OK')) break;
    if (Date.now() > deadline) throw new Error(`servers not UP: ${JSON.stringify(status)}`);
  }
  // The last window starts once the ramp has ended and the agent has said so (one agent-inter later).
  return sharesOfNew(port, fresh.lifecycle.since + SLOW_START_MS + AGENT_INTER_MS);
}

const instances: Instance[] = [];
let balancer: BalancerProcess | undefined;

describe.runIf(requireService('haproxy', Boolean(haproxyBinary), 'apt-get install haproxy'))(
  'slow start behind HAProxy (SLOW_START_MS, agent-check)',
  () => {
    afterEach(async () => {
      await balancer?.stop();
      balancer = undefined;
      for (const instance of instances.splice(0)) await instance.close();
    });

    it('gives a new instance a growing share of new requests over SLOW_START_MS', async () => {
      const windows = await runPool({ SLOW_START_MS: String(SLOW_START_MS) });
      const first = windows[0]!;
      const last = windows.at(-1)!;
      for (const w of windows) expect(w.total, JSON.stringify(windows)).toBeGreaterThanOrEqual(40);
      // The first window starts after HAProxy's first agent answer, about 1 s into the ramp: weights
      // of about 30 to 55 against 100, a share near 30%.
      expect(first.share, JSON.stringify(windows)).toBeLessThan(0.4);
      // Past the ramp both weigh 100: roundrobin alternates.
      expect(last.share, JSON.stringify(windows)).toBeGreaterThan(0.45);
      expect(first.share).toBeLessThan(last.share - 0.1);
      // Smooth weighted round-robin follows each weight closely: no window falls back noticeably.
      for (let i = 1; i < windows.length; i++)
        expect(windows[i]!.share, JSON.stringify(windows)).toBeGreaterThan(windows[i - 1]!.share - 0.05);
    }, 30_000);

    it('gives a new instance about an equal share at once without slow start', async () => {
      const windows = await runPool({});
      const first = windows[0]!;
      const last = windows.at(-1)!;
      for (const w of windows) expect(w.total, JSON.stringify(windows)).toBeGreaterThanOrEqual(40);
      expect(first.share, JSON.stringify(windows)).toBeGreaterThan(0.45);
      expect(first.share, JSON.stringify(windows)).toBeLessThan(0.55);
      expect(Math.abs(first.share - last.share)).toBeLessThan(0.1);
    }, 30_000);
  },
);
