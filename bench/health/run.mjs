// Readiness probe cost: throughput and p99 of /health/ready beside a bare JSON route, Express and Fastify, interleaved.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { machine, writeSection } from '../lib/results.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const DURATION_S = Number(process.env.DURATION_S ?? 2);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const frameworks = ['express', 'fastify'];
const routes = [
  { key: 'bare', name: 'bare JSON route `/bare`', path: '/bare' },
  { key: 'ready', name: 'readiness probe `/health/ready` (public, terse)', path: '/health/ready' },
  {
    key: 'detailed',
    name: 'readiness probe, detailed (token; informational)',
    path: '/health/ready',
    headers: { 'x-health-token': 'bench-token-0123456789abcdef' },
  },
];

async function startServer(framework) {
  // The server runs in its own process so that autocannon and the server do not share a core.
  const child = fork(new URL('./server.mjs', import.meta.url), [framework], { stdio: 'inherit' });
  const [message] = await once(child, 'message');
  return { child, url: `http://127.0.0.1:${message.port}` };
}

async function load(url, duration, headers) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration, pipelining: 1, headers });
  if (result.errors || result.non2xx)
    throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx`);
  return { rps: result.requests.average, p99: result.latency.p99 };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const loadAtStart = loadavg()[0].toFixed(2);
const servers = Object.fromEntries(await Promise.all(frameworks.map(async (f) => [f, await startServer(f)])));
const samples = {};
try {
  for (const framework of frameworks) {
    for (const route of routes) await load(`${servers[framework].url}${route.path}`, 1, route.headers); // warm-up
  }
  // Interleaved rounds: machine noise (other processes) spreads over every variant instead of one.
  for (let round = 1; round <= ROUNDS; round++) {
    for (const framework of frameworks) {
      for (const route of routes) {
        const sample = await load(`${servers[framework].url}${route.path}`, DURATION_S, route.headers);
        const key = `${framework} ${route.key}`;
        samples[key] = [...(samples[key] ?? []), sample];
        console.log(`round ${round} ${key}: ${Math.round(sample.rps)} req/s, p99 ${sample.p99} ms`);
      }
    }
  }
} finally {
  for (const { child } of Object.values(servers)) child.kill();
}

const rows = [];
const ratios = {};
for (const framework of frameworks) {
  const bare = median(samples[`${framework} bare`].map((s) => s.rps));
  for (const route of routes) {
    const runs = samples[`${framework} ${route.key}`];
    const rps = median(runs.map((s) => s.rps));
    const ratio = rps / bare;
    if (route.key === 'ready') ratios[framework] = ratio;
    const perRound = runs.map((s) => Math.round(s.rps)).join(', ');
    rows.push(
      `| ${framework} | ${route.name} | ${Math.round(rps)} | ${median(runs.map((s) => s.p99))} | ${ratio.toFixed(2)} | ${perRound} |`,
    );
  }
}
const verdict = Object.entries(ratios)
  .map(
    ([framework, ratio]) =>
      `${framework} ${(ratio * 100).toFixed(0)}% of the bare route's throughput (target ≥ 90%: ${ratio >= 0.9 ? 'met' : 'missed'})`,
  )
  .join('; ');

writeSection(
  'health',
  `## health: readiness probe vs a bare JSON route

Reproduce: \`npx tsc -b && node bench/health/run.mjs\` (env \`ROUNDS\`, \`DURATION_S\`, \`CONNECTIONS\`).

Each framework serves every route from one process (a child process; autocannon runs in the parent),
${CONNECTIONS} connections on loopback, ${ROUNDS} interleaved rounds of ${DURATION_S} s per route after a 1 s warm-up;
figures are the medians of the rounds. The readiness probe answers the public (terse) form with three cached
checks (heap, event-loop delay, a dependency with a 2 ms round trip; \`cacheMs\` 1000, so each check runs about
once a second during the run). The bare route answers \`{"status":"pass"}\` through the framework's JSON reply.

| framework | route | req/s | p99 ms | vs bare | req/s per round |
|---|---|---:|---:|---:|---|
${rows.join('\n')}

Public readiness with cached checks: ${verdict}. A ratio above 1 means the probe costs less than the bare
route: its body and headers are precomputed per status and written without the framework's serializer. The
detailed row builds a fresh JSON report per request; only operators with the token or a trusted address get it.

${machine()}, 1-minute load average ${loadAtStart} at the start. The machine is shared with other work while
benchmarks run (the per-round spread shows how much); compare the ratios, not the absolute figures.`,
);
console.log(`\nreadiness vs bare: ${verdict}`);
