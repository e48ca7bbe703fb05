// What the durability option costs: lbkit's store with and without `durability: { replicas: 1 }` (WAIT after every save)
// behind express-session, write-heavy, on a private master with one replica on loopback.
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisSessionStore } from '@lbkit/session-redis';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { machine, writeSection } from '../lib/results.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const DURATION_S = Number(process.env.DURATION_S ?? 4);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const kinds = ['lbkit', 'lbkit-durable'];
const labels = {
  lbkit: 'lbkit (ioredis), no WAIT',
  'lbkit-durable': 'lbkit (ioredis), durability { replicas: 1 }',
};

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(args = []) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lbkit-bench-redis-'));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...args,
    ],
    { stdio: 'ignore' },
  );
  const admin = new Redis(port, '127.0.0.1', { retryStrategy: () => 50 });
  admin.on('error', () => {});
  await admin.ping();
  return {
    port,
    admin,
    stop: () => {
      admin.disconnect();
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startServer(kind, redisPort) {
  const child = fork(new URL('./server.mjs', import.meta.url), [kind, String(redisPort)], {
    stdio: 'inherit',
  });
  const [message] = await once(child, 'message');
  return { child, url: `http://127.0.0.1:${message.port}` };
}

async function seed(url) {
  const cookies = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const response = await fetch(`${url}/seed`, { method: 'POST' });
    cookies.push(response.headers.getSetCookie()[0].split(';')[0]);
  }
  return cookies;
}

async function round(server, cookies) {
  let next = 0;
  const result = await autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: [
      {
        method: 'POST',
        path: '/write',
        setupRequest: (req, context) => {
          context.cookie ??= cookies[next++ % cookies.length];
          return { ...req, headers: { ...req.headers, cookie: context.cookie } };
        },
      },
    ],
  });
  if (result.errors || result.non2xx)
    throw new Error(`${server.url}: ${result.errors} errors, ${result.non2xx} non-2xx`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/**
 * Sequential saves in this process, one at a time: the latency WAIT adds to each save, without HTTP
 * and without the queueing a saturated server adds (steadier than req/s on a shared machine).
 */
async function sequentialSaves(port, durability, count = 2000) {
  const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  const store = new RedisSessionStore({ client, ...(durability ? { durability: { replicas: 1 } } : {}) });
  try {
    const id = 'B'.repeat(32);
    await store.set(id, { cookie: { originalMaxAge: 3_600_000 }, views: 0 });
    const session = await store.get(id);
    const samples = [];
    for (let i = 0; i < count; i++) {
      session.views = i + 1;
      const started = process.hrtime.bigint();
      await store.set(id, session);
      samples.push(Number(process.hrtime.bigint() - started) / 1000);
    }
    samples.sort((a, b) => a - b);
    return { p50: samples[Math.floor(count / 2)], p99: samples[Math.floor(count * 0.99)] };
  } finally {
    store.close();
    client.disconnect();
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const master = await startRedis();
const replica = await startRedis(['--replicaof', '127.0.0.1', String(master.port)]);
const servers = {};
try {
  while (!(await replica.admin.info('replication')).includes('master_link_status:up')) await sleep(100);
  const cookies = {};
  for (const kind of kinds) {
    servers[kind] = await startServer(kind, master.port);
    cookies[kind] = await seed(servers[kind].url);
  }
  const results = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    // Alternating order, so neither store always runs on the machine's warmer or busier half.
    for (const kind of r % 2 ? [...kinds].reverse() : kinds)
      results[kind].push(await round(servers[kind], cookies[kind]));
  }
  const sequential = [];
  for (let r = 0; r < 3; r++) {
    sequential.push({
      plain: await sequentialSaves(master.port, false),
      durable: await sequentialSaves(master.port, true),
    });
  }
  const seq = (kind, q) => Math.round(median(sequential.map((x) => x[kind][q])));
  const base = median(results.lbkit.map((x) => x.rps));
  const rows = kinds.map((kind) => {
    const rounds = results[kind];
    const rps = median(rounds.map((x) => x.rps));
    return `| ${labels[kind]} | ${Math.round(rps)} | ${(rps / base).toFixed(2)} | ${median(rounds.map((x) => x.p50))} | ${median(rounds.map((x) => x.p99))} | ${rounds.map((x) => Math.round(x.rps)).join(', ')} |`;
  });
  writeSection(
    'session-durability',
    `## session: the cost of \`durability\` (WAIT after every save)

Reproduce: \`npx tsc -b && node bench/session/durability.mjs\` (env \`ROUNDS\`, \`DURATION_S\`, \`CONNECTIONS\`).

One private master and one replica on loopback (no persistence), express-session on lbkit's store (ioredis), each
server in its own process; ${CONNECTIONS} connections, each with its own session, every request changes one key
(the write-heavy workload of _session_ above); ${ROUNDS} rounds of ${DURATION_S} s, alternating which store runs first.
Median of the rounds; latency in ms.

| store | req/s | × no WAIT | p50 | p99 | req/s per round |
| ----- | ----- | --------- | --- | --- | --------------- |
${rows.join('\n')}

One save at a time in one process (no HTTP, 2000 saves, median of 3 runs): ${seq('plain', 'p50')} µs p50 /
${seq('plain', 'p99')} µs p99 without WAIT, ${seq('durable', 'p50')} µs / ${seq('durable', 'p99')} µs with \`durability: { replicas: 1 }\`.

On a shared machine the req/s rounds move with whatever else runs (compare the rounds of one row), so a
difference between the two rows within that spread is not a cost or a gain; the one-at-a-time latency is the
steadier measure of what WAIT adds to a save.

With \`durability\`, each save is its script and \`WAIT 1 250\` in one pipeline: no extra round trip from the
server's side, but the reply waits until the replica acknowledged the write (one replication round trip on
loopback here; across hosts or zones, that network round trip is added to every save and destroy).

${machine()}, load average ${loadavg()[0].toFixed(1)} at the end.`,
  );
  console.log(rows.join('\n'));
  console.log('sequential', JSON.stringify(sequential));
} finally {
  await Promise.all(
    Object.values(servers).map((server) => {
      const exited = once(server.child, 'exit');
      server.child.disconnect();
      return exited;
    }),
  );
  replica.stop();
  master.stop();
}
