// bench/cluster: clusterPrimary({ balance }) policies side by side under skewed request costs, with short
// (Connection: close) and kept-alive clients: goodput and p99 per policy, interleaved rounds, spread shown.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { machine, writeSection } from '../lib/results.mjs';

const APP = fileURLToPath(new URL('./app.mjs', import.meta.url));
const POLICIES = ['round-robin', 'least-connections', 'least-loaded', 'ip-hash'];
const RUNS = Number(process.env.RUNS ?? 3);
const DURATION_MS = Number(process.env.DURATION_MS ?? 8000);
const WORKERS = 3;
/** Closed-loop clients opening one connection per request, and clients keeping one connection each. */
const SHORT_CLIENTS = Number(process.env.SHORT_CLIENTS ?? 12);
const KEEP_ALIVE_CLIENTS = Number(process.env.KEEP_ALIVE_CLIENTS ?? 6);
/** Skewed costs: HEAVY_SHARE of requests burn HEAVY_MS of CPU, the others LIGHT_MS. */
const HEAVY_SHARE = Number(process.env.HEAVY_SHARE ?? 0.1);
const HEAVY_MS = 20;
const LIGHT_MS = 1;
/** An answer counts as goodput when it is a 200 within this bound. */
const GOOD_MS = 250;
/** Client addresses 127.0.0.2 … : ip-hash spreads by client, so every policy sees the same many clients. */
const ADDRESSES = 24;

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startApp(balance) {
  const port = await freePort();
  const child = spawn(process.execPath, [APP], {
    env: { ...process.env, BALANCE: balance, PORT: String(port), WORKERS: String(WORKERS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('ready')) resolve();
    });
    child.once('exit', () => reject(new Error(`${balance}: the cluster exited before ready: ${out}`)));
  });
  return { port, child, exited };
}

/** One GET /work; resolves with the latency in ms and the slot, or an error string. */
function get(port, agent, localAddress, ms) {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/work?ms=${ms}`, agent, localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () =>
        resolve(
          res.statusCode === 200
            ? { ms: performance.now() - started, slot: body }
            : { error: `status ${res.statusCode}` },
        ),
      );
      res.on('error', (error) => resolve({ error: String(error) }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ error: error.code ?? String(error) }));
  });
}

/** Runs both kinds of clients for DURATION_MS against one cluster. */
async function load(port) {
  const short = [];
  const kept = [];
  const slots = new Map();
  let errors = 0;
  const deadline = performance.now() + DURATION_MS;
  const client = async (i, keepAlive) => {
    const localAddress = `127.0.0.${2 + (i % ADDRESSES)}`;
    const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false;
    const into = keepAlive ? kept : short;
    while (performance.now() < deadline) {
      const result = await get(port, agent, localAddress, Math.random() < HEAVY_SHARE ? HEAVY_MS : LIGHT_MS);
      if (result.error) errors++;
      else {
        into.push(result.ms);
        slots.set(result.slot, (slots.get(result.slot) ?? 0) + 1);
      }
    }
    if (agent) agent.destroy();
  };
  const started = performance.now();
  await Promise.all([
    ...Array.from({ length: SHORT_CLIENTS }, (_, i) => client(i, false)),
    ...Array.from({ length: KEEP_ALIVE_CLIENTS }, (_, i) => client(SHORT_CLIENTS + i, true)),
  ]);
  const seconds = (performance.now() - started) / 1000;
  const all = [...short, ...kept];
  const served = all.length;
  const shares = Array.from({ length: WORKERS }, (_, slot) => (slots.get(String(slot)) ?? 0) / (served || 1));
  return {
    goodput: all.filter((ms) => ms <= GOOD_MS).length / seconds,
    p99: percentile(all, 0.99),
    p99Short: percentile(short, 0.99),
    p99Kept: percentile(kept, 0.99),
    errors,
    maxShare: Math.max(...shares),
    minShare: Math.min(...shares),
  };
}

function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const loadAtStart = loadavg()[0].toFixed(2);
const results = new Map(POLICIES.map((policy) => [policy, []]));
for (let run = 0; run < RUNS; run++) {
  // Interleaved: each run starts with a different policy, so drift on the machine spreads over all of them.
  const order = POLICIES.map((_, i) => POLICIES[(i + run) % POLICIES.length]);
  for (const policy of order) {
    const app = await startApp(policy);
    await sleep(500);
    const result = await load(app.port);
    app.child.kill('SIGTERM');
    await app.exited;
    results.get(policy).push(result);
    console.log(
      `run ${run + 1} ${policy}: goodput ${result.goodput.toFixed(0)}/s, p99 ${result.p99.toFixed(1)} ms (short ${result.p99Short.toFixed(1)}, kept-alive ${result.p99Kept.toFixed(1)}), errors ${result.errors}, worker shares ${(result.minShare * 100).toFixed(0)}–${(result.maxShare * 100).toFixed(0)} %`,
    );
  }
}

const fmt = (values, digits = 0) => {
  const m = median(values);
  return `${m.toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
};
// Ratios per run (each policy against round-robin of the same run), so drift between runs cancels out.
const ratios = (policy, key) =>
  results.get(policy).map((r, i) => r[key] / results.get('round-robin')[i][key]);
const rows = POLICIES.map((policy) => {
  const runs = results.get(policy);
  return `| ${policy} | ${fmt(runs.map((r) => r.goodput))} | ${fmt(ratios(policy, 'goodput'), 2)} | ${fmt(
    runs.map((r) => r.p99),
    1,
  )} | ${fmt(ratios(policy, 'p99'), 2)} | ${fmt(
    runs.map((r) => r.p99Short),
    1,
  )} | ${fmt(
    runs.map((r) => r.p99Kept),
    1,
  )} | ${fmt(runs.map((r) => r.maxShare * 100))} | ${runs.reduce((n, r) => n + r.errors, 0)} |`;
});

const command = `npx -y pnpm@10.34.8 build && node bench/cluster/run.mjs`;
writeSection(
  'cluster',
  `## cluster: clusterPrimary({ balance }) policies vs node:cluster's round robin

Reproduce: \`${command}\` (env \`RUNS\` ${RUNS}, \`DURATION_MS\` ${DURATION_MS}, \`SHORT_CLIENTS\` ${SHORT_CLIENTS}, \`KEEP_ALIVE_CLIENTS\` ${KEEP_ALIVE_CLIENTS}) — ${machine()}.

${WORKERS} workers (bench/cluster/app.mjs) on 127.0.0.1; ${(HEAVY_SHARE * 100).toFixed(0)} % of requests burn ${HEAVY_MS} ms of CPU,
the others ${LIGHT_MS} ms. At the same time ${SHORT_CLIENTS} closed-loop clients open one connection per request
(\`Connection: close\`) and ${KEEP_ALIVE_CLIENTS} keep one connection each, from ${ADDRESSES} client addresses
(127.0.0.2 …, so that ip-hash has clients to spread). \`round-robin\` is node:cluster's own SCHED_RR (the workers
listen on the shared port); the others have the primary accept and hand each connection to the worker it picks.
Goodput = 200 answers within ${GOOD_MS} ms per second. ${RUNS} interleaved runs of ${DURATION_MS / 1000} s per policy:
median (min–max); × rr = the policy's figure over round-robin's in the same run, median (min–max) of the runs. "busiest worker" is the share of answers the busiest of
the ${WORKERS} workers served (33 % is even).

How to read it: node:cluster's round robin is not blind to a stuck worker: it hands a worker its next
connection only once that worker has taken the previous one, so a worker busy in a CPU-heavy request is
skipped for short connections already. The other policies add work in the primary per connection (a
\`net.Socket\`, the choice, the workers' load reports over IPC) on the same CPUs as the workers and the
clients; what they change is where kept-alive connections and connections during a stall go.
Load average at start: ${loadAtStart}.

| balance | goodput /s | × rr | p99 ms | × rr | p99 short ms | p99 kept-alive ms | busiest worker % | errors |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}
`,
);
console.log(rows.join('\n'));
