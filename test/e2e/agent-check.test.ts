// A real HAProxy reading @lbkit/balancer-feedback's agent-check: weights follow headroom, a drain stops new requests.
import { once } from 'node:events';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AgentCheck, createAgentCheck } from '@lbkit/balancer-feedback';
import { Lifecycle } from '@lbkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** Requests in flight at which an instance counts as full. */
const LIMIT = 10;

interface Instance {
  readonly id: string;
  readonly lifecycle: Lifecycle;
  readonly server: Server;
  readonly agent: AgentCheck;
  close(): Promise<void>;
}

/** One demo instance (the Express demo app) with its own lifecycle and agent-check responder. */
async function startInstance(id: string): Promise<Instance> {
  const lifecycle = new Lifecycle();
  const { app, close } = await createApp({ config: readConfig({ INSTANCE_ID: id }), lifecycle });
  const server = createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  lifecycle.inFlight.attach(server);
  const agent = createAgentCheck({ lifecycle, concurrencyLimit: LIMIT, port: 0 });
  await agent.listen();
  lifecycle.markReady();
  return {
    id,
    lifecycle,
    server,
    agent,
    close: async () => {
      await agent.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await close();
    },
  };
}

/** Status and effective weight of each server of backend `app`. */
async function serverStats(dir: string): Promise<Record<string, { status: string; weight: number }>> {
  const stats = await haproxyServerStats(dir);
  return Object.fromEntries(
    Object.entries(stats).map(([server, row]) => [
      server,
      { status: row.status ?? '', weight: Number(row.weight) },
    ]),
  );
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached; last: ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

/** `count` requests to /whoami through HAProxy, one at a time on fresh connections; tallies which instance answered. */
async function tally(port: number, count: number): Promise<Record<string, number>> {
  const served: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const body = await new Promise<string>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/whoami', agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(text) : reject(new Error(`${res.statusCode}`)),
        );
      }).on('error', reject);
    });
    const { instance } = JSON.parse(body) as { instance: string };
    served[instance] = (served[instance] ?? 0) + 1;
  }
  return served;
}

/** Holds `count` slow requests on `instance` directly (not through HAProxy); returns a function that cuts them. */
async function hold(instance: Instance, count: number): Promise<() => Promise<void>> {
  const { port } = instance.server.address() as AddressInfo;
  const requests = Array.from({ length: count }, () =>
    get({ host: '127.0.0.1', port, path: '/slow?ms=20000', agent: false }).on('error', () => {}),
  );
  await until(
    async () => instance.lifecycle.inFlight.requests,
    (n) => n >= count,
    `${count} requests in flight on ${instance.id}`,
  );
  return async () => {
    for (const request of requests) request.destroy();
    await until(
      async () => instance.lifecycle.inFlight.requests,
      (n) => n === 0,
      `no request in flight on ${instance.id}`,
    );
  };
}

describe.runIf(requireService('haproxy', Boolean(haproxyBinary), 'apt-get install haproxy'))(
  'HAProxy with agent-check (examples/lb/haproxy-agent-check.cfg.template)',
  () => {
    let a: Instance;
    let b: Instance;
    let balancer: BalancerProcess;
    let port: number;
    const stats = () => serverStats(balancer.dir);

    beforeAll(async () => {
      a = await startInstance('instance-a');
      b = await startInstance('instance-b');
      port = await freePort();
      balancer = await startBalancer({
        kind: 'haproxy',
        template: 'haproxy-agent-check.cfg.template',
        values: {
          PORT: port,
          APP_A_PORT: (a.server.address() as AddressInfo).port,
          APP_B_PORT: (b.server.address() as AddressInfo).port,
          AGENT_A_PORT: a.agent.address!.port,
          AGENT_B_PORT: b.agent.address!.port,
        },
        ports: [port],
      });
      await until(
        stats,
        (s) => s.a?.status === 'UP' && s.b?.status === 'UP' && s.a.weight === 100 && s.b.weight === 100,
        'both servers UP at full weight',
      );
    });

    afterAll(async () => {
      await balancer?.stop();
      await a?.close();
      await b?.close();
    });

    it('splits requests evenly while both instances are idle', async () => {
      const served = await tally(port, 40);
      expect(served['instance-a']).toBe(20);
      expect(served['instance-b']).toBe(20);
    });

    it('sends the overloaded instance measurably fewer new requests, and evens out once its load is gone', async () => {
      // 9 of 10 slots busy on A: the agent answers `up ready 10%`, HAProxy weighs A at 10 against B's 100.
      const release = await hold(a, 9);
      expect(a.agent.reply()).toBe('up ready 10%');
      await until(stats, (s) => s.a?.weight === 10 && s.b?.weight === 100, 'weights 10 / 100');
      const loaded = await tally(port, 55);
      expect((loaded['instance-a'] ?? 0) + (loaded['instance-b'] ?? 0)).toBe(55);
      // Smooth weighted round-robin gives A 1 request in 11; allow a little slack for the weight update.
      expect(loaded['instance-a'] ?? 0).toBeLessThanOrEqual(8);
      expect(loaded['instance-b']).toBeGreaterThanOrEqual(47);

      await release();
      await until(stats, (s) => s.a?.weight === 100, 'A back at weight 100');
      const after = await tally(port, 20);
      expect(after['instance-a']).toBe(10);
      expect(after['instance-b']).toBe(10);
    });

    it('sends a draining instance no new request, from the next agent check', async () => {
      b.lifecycle.beginDrain('test');
      expect(b.agent.reply()).toBe('drain');
      // The agent (every 500 ms) takes B out before readiness can fail twice (2 x 1 s).
      const drained = await until(
        stats,
        (s) => /DRAIN|DOWN|MAINT/.test(s.b?.status ?? ''),
        'B out of rotation',
      );
      expect(drained.b?.status).toMatch(/^DRAIN/);
      const served = await tally(port, 30);
      expect(served['instance-b'] ?? 0).toBe(0);
      expect(served['instance-a']).toBe(30);
    });

    it('holds a stopped instance in maintenance', async () => {
      b.lifecycle.markStopped('test');
      expect(b.agent.reply()).toBe('maint #stopped');
      await until(stats, (s) => s.b?.status === 'MAINT', 'B in MAINT');
      const served = await tally(port, 10);
      expect(served['instance-b'] ?? 0).toBe(0);
    });
  },
);
