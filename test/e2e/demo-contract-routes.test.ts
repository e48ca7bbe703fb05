// CONTRACT.md's newer rows on both built demo apps: GET /, GET /ws, AGENT_CHECK_PORT, Redis through Sentinel and Cluster.
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../examples/shared/src/index.js';
import {
  buildDemos,
  type DemoFramework,
  type DemoProcess,
  startDemoProcess,
} from '../helpers/demo-process.js';
import { freePort } from '../helpers/ports.js';
import { hasRedis, type PrivateRedis } from '../helpers/redis.js';
import { hasRedisCluster, type PrivateRedisCluster, startRedisCluster } from '../helpers/redis-cluster.js';
import {
  type PrivateSentinel,
  type PrivateSentinelGroup,
  startSentinelGroup,
} from '../helpers/redis-sentinel.js';
import { openWebSocket, UpgradeRefused } from '../helpers/web-socket.js';

const frameworks: DemoFramework[] = ['express', 'fastify'];
const CONTRACT_ROUTES = [
  '/health/live',
  '/health/ready',
  '/health/startup',
  '/health',
  '/whoami',
  '/session',
  '/session/:key',
  '/slow?ms=N',
  '/work?ms=N',
  '/metrics',
  '/ws',
  '/',
];
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** The one line the agent-check responder on `port` answers. */
function agentAnswer(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (text += chunk));
    socket.on('end', () => resolve(text.trim()));
    socket.on('error', reject);
  });
}

/** Two GET /session with the cookie of the first: the second must see the first's view. */
async function sessionRoundTrip(url: string): Promise<{ first: unknown; second: unknown }> {
  const first = await fetch(`${url}/session`);
  const cookie = first.headers.get('set-cookie')?.split(';')[0] ?? '';
  const second = await fetch(`${url}/session`, { headers: { cookie } });
  return { first: await first.json(), second: await second.json() };
}

beforeAll(() => buildDemos(), 120_000);

describe.each(frameworks)('%s demo: GET /, GET /ws and the agent-check responder', (framework) => {
  let demo: DemoProcess;
  let agentPort: number;

  beforeAll(async () => {
    agentPort = await freePort();
    demo = await startDemoProcess(framework, {
      INSTANCE_ID: `routes-${framework}`,
      AGENT_CHECK_PORT: String(agentPort),
      DRAIN_DELAY_MS: '1500',
    });
  });
  afterAll(() => demo?.stop());

  it('GET / lists every contract route as JSON by default', async () => {
    const response = await fetch(`${demo.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('vary')).toMatch(/accept/i);
    const body = (await response.json()) as { instance: string; routes: { method: string; path: string }[] };
    expect(body.instance).toBe(`routes-${framework}`);
    expect(body.routes.map((r) => r.path)).toEqual(CONTRACT_ROUTES);
    expect(body.routes.find((r) => r.path === '/session/:key')?.method).toBe('POST');
  });

  it('GET / answers a small HTML page when the client prefers text/html, JSON when it prefers JSON', async () => {
    const html = await fetch(`${demo.url}/`, { headers: { accept: BROWSER_ACCEPT } });
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await html.text();
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<a href="/whoami">/whoami</a>');
    expect(page).toContain(`routes-${framework}`);
    const json = await fetch(`${demo.url}/`, { headers: { accept: 'text/html;q=0.5, application/json' } });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('GET /ws echoes every text message back, in order', async () => {
    const { ws, instance } = await openWebSocket(`ws://127.0.0.1:${demo.port}/ws`);
    expect(instance).toBe(`routes-${framework}`);
    const echoes: string[] = [];
    const all = new Promise<void>((resolve) =>
      ws.on('message', (data, isBinary) => {
        expect(isBinary).toBe(false);
        echoes.push(String(data));
        if (echoes.length === 3) resolve();
      }),
    );
    for (const text of ['one', 'two', 'drei ✓']) ws.send(text);
    await all;
    expect(echoes).toEqual(['one', 'two', 'drei ✓']);
    ws.close();
  });

  it('GET /ws without an upgrade answers 426, and an upgrade elsewhere answers 404', async () => {
    const plain = await fetch(`${demo.url}/ws`);
    expect(plain.status).toBe(426);
    expect(plain.headers.get('upgrade')).toBe('websocket');
    await expect(openWebSocket(`ws://127.0.0.1:${demo.port}/elsewhere`)).rejects.toEqual(
      new UpgradeRefused(404),
    );
  });

  it('answers HAProxy agent-check on AGENT_CHECK_PORT with its state and headroom', async () => {
    expect(await agentAnswer(agentPort)).toMatch(/^up ready \d{1,3}%$/);
  });

  it('on SIGTERM: the agent says drain, new upgrades get 503, open sockets get 1001, exit 0', async () => {
    const { ws } = await openWebSocket(`ws://127.0.0.1:${demo.port}/ws`);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    demo.kill('SIGTERM');
    await expect.poll(() => agentAnswer(agentPort), { timeout: 1000 }).toBe('drain');
    await expect(openWebSocket(`ws://127.0.0.1:${demo.port}/ws`)).rejects.toEqual(new UpgradeRefused(503));
    // The open socket still echoes during the drain delay; the balancer is moving traffic away.
    const echo = new Promise((resolve) => ws.once('message', (data) => resolve(String(data))));
    ws.send('still here');
    expect(await echo).toBe('still here');
    expect(await closed).toBe(1001);
    expect((await demo.exited).code, demo.output()).toBe(0);
    await expect(agentAnswer(agentPort)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('readConfig: Redis topologies and the agent port', () => {
  it('reads REDIS_SENTINELS, REDIS_SENTINEL_NAME, REDIS_CLUSTER_NODES and AGENT_CHECK_PORT', () => {
    const sentinel = readConfig({
      REDIS_SENTINELS: '10.0.0.5:26379, [::1]:26380',
      REDIS_SENTINEL_NAME: 'main',
    });
    expect(sentinel.redisSentinels).toEqual([
      { host: '10.0.0.5', port: 26379 },
      { host: '::1', port: 26380 },
    ]);
    expect(sentinel.redisSentinelName).toBe('main');
    expect(readConfig({ REDIS_SENTINELS: 'a:1' }).redisSentinelName).toBe('mymaster');
    expect(readConfig({ REDIS_CLUSTER_NODES: 'redis-1:7000,redis-2:7001' }).redisClusterNodes).toEqual([
      { host: 'redis-1', port: 7000 },
      { host: 'redis-2', port: 7001 },
    ]);
    expect(readConfig({ AGENT_CHECK_PORT: '3001' }).agentCheckPort).toBe(3001);
    expect(readConfig({}).agentCheckPort).toBeUndefined();
  });

  it('refuses malformed values with an error naming the variable', () => {
    expect(() => readConfig({ REDIS_SENTINELS: '10.0.0.5' })).toThrow(
      /^REDIS_SENTINELS must be a comma list of host:port, got "10.0.0.5"/,
    );
    expect(() => readConfig({ REDIS_CLUSTER_NODES: 'a:7000,b:99999' })).toThrow(
      /^REDIS_CLUSTER_NODES .* got "b:99999"/,
    );
    expect(() => readConfig({ REDIS_CLUSTER_NODES: 'a:7000,,b:7001' })).toThrow(/^REDIS_CLUSTER_NODES/);
    expect(() => readConfig({ AGENT_CHECK_PORT: '70000' })).toThrow(/^AGENT_CHECK_PORT must be a port/);
    expect(() => readConfig({ AGENT_CHECK_PORT: 'x' })).toThrow(/^AGENT_CHECK_PORT must be a whole number/);
    expect(() => readConfig({ REDIS_URL: 'redis://a', REDIS_CLUSTER_NODES: 'a:7000' })).toThrow(
      /REDIS_URL and REDIS_CLUSTER_NODES/,
    );
  });

  it('a demo started with a malformed value exits at startup and says which variable', async () => {
    await expect(startDemoProcess('fastify', { REDIS_SENTINELS: 'nowhere' })).rejects.toThrow(
      /exited with 1 before listening:[\s\S]*REDIS_SENTINELS must be a comma list/,
    );
  });
});

describe.runIf(hasRedis())('sessions through Redis Sentinel (REDIS_SENTINELS)', () => {
  // A replica too: through Sentinel the demo confirms every save on one (durability).
  let group: PrivateSentinelGroup;
  let master: PrivateRedis;
  let sentinel: PrivateSentinel;
  beforeAll(async () => {
    group = await startSentinelGroup({ replicas: 1, sentinels: 1, name: 'demo-master' });
    master = group.servers[0]!;
    sentinel = group.sentinels[0]!;
  }, 60_000);
  afterAll(() => group?.close());

  it.each(frameworks)(
    '%s: a session round trip lands on the master the sentinel names',
    async (framework) => {
      const demo = await startDemoProcess(framework, {
        INSTANCE_ID: `sentinel-${framework}`,
        REDIS_SENTINELS: `${sentinel.host}:${sentinel.port}`,
        REDIS_SENTINEL_NAME: sentinel.name,
      });
      try {
        const { first, second } = await sessionRoundTrip(demo.url);
        expect(first).toEqual({ views: 1, instance: `sentinel-${framework}` });
        expect(second).toEqual({ views: 2, instance: `sentinel-${framework}` });
        const direct = new Redis(master.url);
        expect((await direct.keys('*')).length).toBeGreaterThan(0);
        await direct.flushall();
        direct.disconnect();
        expect((await fetch(`${demo.url}/health/ready`)).status).toBe(200);
      } finally {
        await demo.stop();
      }
    },
  );
});

describe.runIf(hasRedisCluster())('sessions through Redis Cluster (REDIS_CLUSTER_NODES)', () => {
  let cluster: PrivateRedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(() => cluster?.close());

  it.each(frameworks)('%s: a session round trip is stored in the cluster', async (framework) => {
    // One seed node is enough: the client learns the others from it.
    const seed = cluster.nodes[0]!;
    const demo = await startDemoProcess(framework, {
      INSTANCE_ID: `cluster-${framework}`,
      REDIS_CLUSTER_NODES: `${seed.host}:${seed.port}`,
    });
    try {
      const { first, second } = await sessionRoundTrip(demo.url);
      expect(first).toEqual({ views: 1, instance: `cluster-${framework}` });
      expect(second).toEqual({ views: 2, instance: `cluster-${framework}` });
      let keys = 0;
      for (const node of cluster.nodes) {
        const direct = new Redis(node.port, node.host);
        keys += (await direct.keys('*')).length;
        await direct.flushall();
        direct.disconnect();
      }
      expect(keys).toBeGreaterThan(0);
      expect((await fetch(`${demo.url}/health/ready`)).status).toBe(200);
    } finally {
      await demo.stop();
    }
  });
});
