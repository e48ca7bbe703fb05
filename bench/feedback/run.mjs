// Cost of balancer feedback on Express: the ORCA load header beside a bare route, and a /metrics scrape (interleaved).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { machine, writeSection } from '../lib/results.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const DURATION_S = Number(process.env.DURATION_S ?? 2);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const variants = [
  { key: 'bare', name: 'bare JSON route', port: 'bare', path: '/bare' },
  { key: 'orca', name: 'same route + `orcaLoadReport()` (ORCA header)', port: 'orca', path: '/bare' },
  {
    key: 'metrics',
    name: '`GET /metrics` (lifecycle, shedder, health; informational)',
    port: 'metrics',
    path: '/metrics',
  },
];

async function load(url) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, pipelining: 1 });
  if (result.errors || result.non2xx)
    throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx`);
  return { rps: result.requests.average, p99: result.latency.p99 };
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const loadAtStart = loadavg()[0].toFixed(2);
// The servers run in their own process so that autocannon and the server do not share a core.
const child = fork(new URL('./server.mjs', import.meta.url), { stdio: 'inherit' });
const [{ ports }] = await once(child, 'message');
const samples = {};
try {
  for (const v of variants)
    await autocannon({ url: `http://127.0.0.1:${ports[v.port]}${v.path}`, duration: 1 });
  // Interleaved rounds: machine noise (other processes) spreads over every variant instead of one.
  for (let round = 1; round <= ROUNDS; round++) {
    for (const v of variants) {
      const sample = await load(`http://127.0.0.1:${ports[v.port]}${v.path}`);
      samples[v.key] = [...(samples[v.key] ?? []), sample];
      console.log(`round ${round} ${v.key}: ${Math.round(sample.rps)} req/s, p99 ${sample.p99} ms`);
    }
  }
} finally {
  child.kill();
}

const rps = (key) => median(samples[key].map((s) => s.rps));
const p99 = (key) => median(samples[key].map((s) => s.p99));
const rows = variants.map(
  (v) =>
    `| ${v.name} | ${Math.round(rps(v.key))} | ${p99(v.key)} | ${(rps(v.key) / rps('bare')).toFixed(2)} |`,
);
writeSection(
  'feedback',
  `## feedback: ORCA load header and /metrics scrape (Express)

\`npx tsc -b && node bench/feedback/run.mjs\` (ROUNDS=${ROUNDS}, DURATION_S=${DURATION_S}, CONNECTIONS=${CONNECTIONS}; medians of interleaved rounds)

| variant | req/s | p99 ms | × bare |
|---|---|---|---|
${rows.join('\n')}

The header is computed per request (load from the shedder, CPU and memory sampled at most once a second);
${Math.abs(rps('orca') / rps('bare') - 1) < 0.1 ? 'its cost is within the noise of this run.' : 'compare the ratio above.'} A scrape collects every lbkit metric lazily; Prometheus scrapes once every 10–60 s, so its throughput only
says that a scrape is cheap. ${machine()}; load average at start ${loadAtStart} (other work on the machine
adds noise; compare ratios).`,
);
