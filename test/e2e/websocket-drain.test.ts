// WebSockets through a real HAProxy across a drain: 1001 on SIGTERM, upgrades refused while draining, nothing acknowledged lost.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import {
  buildDemos,
  type DemoFramework,
  type DemoProcess,
  startDemoProcess,
} from '../helpers/demo-process.js';
import { type BalancerProcess, haproxyBinary, startBalancer } from '../helpers/lb-process.js';
import { freePort } from '../helpers/ports.js';
import { requireService } from '../helpers/services.js';
import { openWebSocket, UpgradeRefused } from '../helpers/web-socket.js';

const CLIENTS = 8;
const SEND_EVERY_MS = 10;
/** Covers HAProxy reading `drain` from the agent (agent-inter 500 ms) with room for the direct upgrade probe. */
const DRAIN_DELAY_MS = 2000;

/**
 * One WebSocket user through the balancer, keeping a ledger: a message is acknowledged when its echo
 * comes back. Messages still unacknowledged when the connection closes are sent again on the next one.
 */
class EchoUser {
  readonly instances: string[] = [];
  readonly closeCodes: number[] = [];
  readonly acknowledged = new Set<number>();
  readonly pending = new Map<number, string>();
  sent = 0;
  resent = 0;
  duplicates = 0;
  unknown = 0;
  refusedReconnects = 0;
  #ws: WebSocket | undefined;
  #stopping = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    readonly url: string,
  ) {}

  /** Connects (retrying refused upgrades, as a client of a draining pool must) and starts sending. */
  async connect(): Promise<void> {
    while (!this.#stopping) {
      try {
        const { ws, instance } = await openWebSocket(this.url);
        this.#ws = ws;
        this.instances.push(instance);
        ws.on('message', (data) => this.#onEcho(String(data)));
        ws.once('close', (code) => this.#onClose(code));
        // The map keeps insertion order, which is id order: resent in the order first sent.
        for (const text of this.pending.values()) {
          this.resent++;
          ws.send(text);
        }
        this.#timer ??= setInterval(() => this.#send(), SEND_EVERY_MS);
        return;
      } catch {
        this.refusedReconnects++;
        await sleep(50);
      }
    }
  }

  get currentInstance(): string | undefined {
    return this.instances.at(-1);
  }

  /** Stops sending, waits until every message sent was echoed (or `timeoutMs`), closes. */
  async finish(timeoutMs = 5000): Promise<void> {
    clearInterval(this.#timer);
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < deadline) await sleep(20);
    this.#stopping = true;
    this.#ws?.close(1000);
  }

  #send(): void {
    if (this.#ws?.readyState !== this.#ws?.OPEN) return;
    const id = ++this.sent;
    const text = `${this.name}:${id}`;
    this.pending.set(id, text);
    this.#ws?.send(text);
  }

  #onEcho(text: string): void {
    const [name, raw] = text.split(':');
    const id = Number(raw);
    if (name !== this.name || !Number.isInteger(id)) this.unknown++;
    else if (this.pending.delete(id)) this.acknowledged.add(id);
    else if (this.acknowledged.has(id)) this.duplicates++;
    else this.unknown++;
  }

  #onClose(code: number): void {
    this.#ws = undefined;
    if (this.#stopping) return;
    this.closeCodes.push(code);
    void this.connect();
  }
}

async function until(test: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const enabled = requireService('haproxy', Boolean(haproxyBinary), 'apt-get install haproxy');

describe.runIf(enabled)('WebSockets through HAProxy while an instance drains', () => {
  beforeAll(() => buildDemos(), 120_000);

  describe.each(['express', 'fastify'] as DemoFramework[])('%s demo', (framework) => {
    const demos: Record<'a' | 'b', DemoProcess | undefined> = { a: undefined, b: undefined };
    let haproxy: BalancerProcess | undefined;
    let lbPort = 0;

    beforeAll(async () => {
      const agentPorts = { a: await freePort(), b: await freePort() };
      for (const id of ['a', 'b'] as const) {
        demos[id] = await startDemoProcess(framework, {
          INSTANCE_ID: `${framework}-${id}`,
          AGENT_CHECK_PORT: String(agentPorts[id]),
          DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
          DRAIN_TIMEOUT_MS: '5000',
        });
      }
      lbPort = await freePort();
      haproxy = await startBalancer({
        kind: 'haproxy',
        template: 'haproxy-agent-check.cfg.template',
        values: {
          PORT: lbPort,
          APP_A_PORT: demos.a!.port,
          AGENT_A_PORT: agentPorts.a,
          APP_B_PORT: demos.b!.port,
          AGENT_B_PORT: agentPorts.b,
        },
        ports: [lbPort],
      });
      // Both servers are UP once round-robin answers come from both instances.
      const seen = new Set<string>();
      await until(
        async () => {
          const response = await fetch(`http://127.0.0.1:${lbPort}/whoami`).catch(() => undefined);
          if (response?.status === 200) seen.add(((await response.json()) as { instance: string }).instance);
          return seen.size === 2;
        },
        15_000,
        'HAProxy to send to both instances',
      );
    }, 60_000);

    afterAll(async () => {
      await haproxy?.stop();
      await Promise.all([demos.a?.stop(), demos.b?.stop()]);
    });

    it('clients of the drained instance get 1001, new upgrades to it get 503, they reconnect to the other, no acknowledged message is lost', async () => {
      const a = demos.a!;
      const users = Array.from(
        { length: CLIENTS },
        (_, i) => new EchoUser(`u${i}`, `ws://127.0.0.1:${lbPort}/ws`),
      );
      for (const user of users) await user.connect();
      const onA = users.filter((u) => u.currentInstance === `${framework}-a`);
      const onB = users.filter((u) => u.currentInstance === `${framework}-b`);
      expect(onA.length + onB.length).toBe(CLIENTS);
      expect(onA.length).toBeGreaterThan(0);
      expect(onB.length).toBeGreaterThan(0);
      await sleep(500);

      a.kill('SIGTERM');
      // While its drain delay runs, the instance still listens but refuses new upgrades.
      let refusal: unknown;
      await until(
        async () => {
          refusal = await openWebSocket(`ws://127.0.0.1:${a.port}/ws`).then(
            ({ ws }) => ws.terminate(),
            (error: unknown) => error,
          );
          return refusal instanceof UpgradeRefused;
        },
        1000,
        'an upgrade to the draining instance to be refused',
      );
      expect(refusal).toEqual(new UpgradeRefused(503));
      // Its open sockets keep echoing until the delay ends.
      expect(onA.every((u) => u.closeCodes.length === 0)).toBe(true);

      await until(
        () => onA.every((u) => u.closeCodes.length > 0 && u.currentInstance === `${framework}-b`),
        DRAIN_DELAY_MS + 5000,
        'the drained instance’s clients to reconnect to the other one',
      );
      expect((await a.exited).code, a.output()).toBe(0);
      await sleep(500);
      await Promise.all(users.map((u) => u.finish()));

      for (const user of onA) {
        expect(user.closeCodes, user.name).toEqual([1001]);
        expect(user.instances, user.name).toEqual([`${framework}-a`, `${framework}-b`]);
      }
      for (const user of onB) {
        expect(user.closeCodes, user.name).toEqual([]);
        expect(user.instances, user.name).toEqual([`${framework}-b`]);
      }
      const totals = {
        sent: 0,
        acknowledged: 0,
        resent: 0,
        pending: 0,
        duplicates: 0,
        unknown: 0,
        refused: 0,
      };
      for (const user of users) {
        // Every id from 1 to sent was echoed exactly once: nothing acknowledged went missing, nothing twice.
        expect(
          [...user.acknowledged].sort((x, y) => x - y),
          user.name,
        ).toEqual(Array.from({ length: user.sent }, (_, i) => i + 1));
        totals.sent += user.sent;
        totals.acknowledged += user.acknowledged.size;
        totals.resent += user.resent;
        totals.pending += user.pending.size;
        totals.duplicates += user.duplicates;
        totals.unknown += user.unknown;
        totals.refused += user.refusedReconnects;
      }
      console.log(`[websocket-drain ${framework}] ${JSON.stringify(totals)}`);
      expect(totals.pending).toBe(0);
      expect(totals.duplicates).toBe(0);
      expect(totals.unknown).toBe(0);
      expect(totals.acknowledged).toBe(totals.sent);
      // The load really ran across the drain, on both sides of it.
      expect(totals.sent).toBeGreaterThan(CLIENTS * 100);
    }, 60_000);
  });
});
