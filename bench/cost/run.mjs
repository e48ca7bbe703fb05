// bench/cost: what each lbkit capability, and each anchor library, adds to every request of a GET /hello JSON route,
// on Fastify 5 and Express 5: throughput and p99 against the bare app in the same round, and server CPU per request.
import { fork, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, writeSection } from '../lib/results.mjs';

const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));
const AUTOCANNON = join(
  dirname(createRequire(import.meta.url).resolve('autocannon/package.json')),
  'autocannon.js',
);
const SECONDS = Number(process.env.COST_SECONDS ?? 4);
const WARMUP_SECONDS = Number(process.env.COST_WARMUP_SECONDS ?? 1);
const ROUNDS = Number(process.env.COST_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.COST_CONNECTIONS ?? 50);
const FRAMEWORKS = (process.env.COST_FRAMEWORKS ?? 'fastify,express').split(',');
const ONLY = process.env.COST_VARIANTS?.split(',');
const WRITE = process.env.COST_WRITE !== '0' && !ONLY && FRAMEWORKS.length === 2;

/** Per framework: [variant, label], bare first. */
const VARIANTS = {
  fastify: [
    ['bare', 'bare'],
    ['under-pressure', '@fastify/under-pressure, 4 thresholds'],
    ['shedding', '`sheddingPlugin`'],
    ['shedding-thresholds', '`sheddingPlugin`, `concurrencyLimit: false`, 3 of those thresholds'],
    ['shutdown', '`shutdownPlugin`'],
    ['feedback', '`balancerFeedbackPlugin` (ORCA header)'],
    ['client-ip', '`clientIpPlugin`'],
    ['health', '`healthPlugin`'],
    ['all', '**all five**'],
  ],
  express: [
    ['bare', 'bare'],
    ['terminus', '@godaddy/terminus'],
    ['http-terminator', 'http-terminator'],
    ['toobusy', 'toobusy-js middleware'],
    ['shedding', '`loadShedding()`'],
    ['shedding-thresholds', "`loadShedding()`, `concurrencyLimit: false`, toobusy-js's 70 ms"],
    ['shutdown', '`gracefulShutdown()`'],
    ['feedback', '`orcaLoadReport()`'],
    ['client-ip', '`clientIp()`'],
    ['health', '`healthcheck()`'],
    ['all', '**all five**'],
  ],
};

function load(port, seconds) {
  const url = `http://127.0.0.1:${port}/hello`;
  const args = [AUTOCANNON, '-c', String(CONNECTIONS), '-d', String(seconds), '-j', url];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`autocannon: ${code}`)),
    );
  });
}

/** One variant in a fresh server process: warm-up, then the measured window with the server's CPU time. */
async function measure(framework, variant) {
  const server = fork(SERVER, [], {
    env: { ...process.env, FRAMEWORK: framework, VARIANT: variant, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const { port } = await new Promise((resolve, reject) => {
      server.once('message', resolve);
      server.once('exit', (code) => reject(new Error(`${framework} ${variant} exited with ${code}`)));
    });
    if (WARMUP_SECONDS > 0) await load(port, WARMUP_SECONDS);
    server.send('start');
    const result = await load(port, SECONDS);
    const cpu = new Promise((resolve) => server.once('message', resolve));
    server.send('stop');
    const { cpuUs } = await cpu;
    const answered = result['2xx'];
    if (result.errors > 0 || result.non2xx > 0)
      console.error(`  ${framework} ${variant}: ${result.errors} errors, ${result.non2xx} non-2xx`);
    return { rps: answered / SECONDS, p99: result.latency.p99, cpuPerRequest: cpuUs / 1e6 / answered };
  } finally {
    server.kill('SIGKILL');
  }
}

const plan = FRAMEWORKS.map((framework) => ({
  framework,
  variants: VARIANTS[framework].filter(([name]) => name === 'bare' || !ONLY || ONLY.includes(name)),
}));
/** The 1-minute load average after each measurement: above the core count + 1 (the server and the generator are two), other work shared the machine. */
const loads = [];
/** results[framework][variant] = one entry per round */
const results = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const { framework, variants } of plan) {
    results[framework] ??= {};
    // Rotated each round, so no variant always runs first or last; each ratio is against this round's bare.
    const order = variants.map((_, i) => variants[(i + round) % variants.length]);
    const measured = {};
    for (const [name] of order) {
      measured[name] = await measure(framework, name);
      loads.push(loadavg()[0]);
    }
    const bare = measured.bare;
    for (const [name] of variants) {
      const m = measured[name];
      results[framework][name] ??= [];
      results[framework][name].push({
        ...m,
        cpuUs: m.cpuPerRequest * 1e6,
        ratio: m.rps / bare.rps,
        p99Ratio: m.p99 / bare.p99,
        addedCpuUs: (m.cpuPerRequest - bare.cpuPerRequest) * 1e6,
        addedWallUs: (1 / m.rps - 1 / bare.rps) * 1e6,
      });
      console.log(
        `round ${round + 1} ${framework} ${name}: ${m.rps.toFixed(0)} req/s (${(m.rps / bare.rps).toFixed(2)}×), p99 ${m.p99} ms, ${(m.cpuPerRequest * 1e6).toFixed(2)} µs CPU/req`,
      );
    }
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const stat = (framework, variant, key) => {
  const values = results[framework]?.[variant]?.map((r) => r[key]);
  if (!values?.length) return undefined;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
};
const spread = (s, digits) =>
  s ? `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})` : '–';

const tables = plan.map(({ framework, variants }) => {
  const rows = variants.map(([name, label]) => {
    const rps = stat(framework, name, 'rps');
    const p99 = stat(framework, name, 'p99');
    return `| ${label} | ${rps.median.toFixed(0)} | ${spread(stat(framework, name, 'ratio'), 2)} | ${p99.median} | ${spread(stat(framework, name, 'p99Ratio'), 2)} | ${spread(stat(framework, name, 'cpuUs'), 2)} | ${spread(stat(framework, name, 'addedCpuUs'), 2)} | ${spread(stat(framework, name, 'addedWallUs'), 2)} |`;
  });
  return [
    `**${framework === 'fastify' ? 'Fastify 5' : 'Express 5'}**`,
    '',
    '| variant | req/s | × bare | p99 ms | p99 × bare | server CPU µs/req | µs CPU added | µs added (1/rps) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
});

const added = (framework, variant) => stat(framework, variant, 'addedCpuUs')?.median;
const targets = [];
const target = (name, measured, met) =>
  targets.push(`| ${name} | ${measured} | ${met === undefined ? '–' : met ? 'met' : '**not met**'} |`);
const us = (value) => (value === undefined ? '–' : `${value.toFixed(2)} µs`);
for (const framework of FRAMEWORKS) {
  const name = framework === 'fastify' ? 'Fastify' : 'Express';
  const all = stat(framework, 'all', 'ratio');
  const p99 = stat(framework, 'all', 'p99Ratio');
  if (all) target(`${name}: all five ≥ 0.90× bare throughput`, spread(all, 2), all.median >= 0.9);
  if (p99) target(`${name}: all five p99 ≤ 1.2× bare`, spread(p99, 2), p99.median <= 1.2);
}
const cmp = (label, a, b) => {
  if (a === undefined || b === undefined) return;
  target(label, `${us(a)} against ${us(b)}`, a <= b);
};
cmp(
  'Fastify: shedding ≤ under-pressure (CPU added)',
  added('fastify', 'shedding'),
  added('fastify', 'under-pressure'),
);
cmp('Express: shedding ≤ toobusy-js (CPU added)', added('express', 'shedding'), added('express', 'toobusy'));
// Like for like: the anchors shed on thresholds only; so does lbkit with concurrencyLimit: false.
cmp(
  'Fastify: thresholds-only shedding ≤ under-pressure (CPU added)',
  added('fastify', 'shedding-thresholds'),
  added('fastify', 'under-pressure'),
);
cmp(
  'Express: thresholds-only shedding ≤ toobusy-js (CPU added)',
  added('express', 'shedding-thresholds'),
  added('express', 'toobusy'),
);
const terminator = added('express', 'http-terminator');
cmp('Express: shutdown ≤ http-terminator (CPU added)', added('express', 'shutdown'), terminator);
cmp(
  'Fastify: shutdown ≤ http-terminator (on Express; both hook node:http)',
  added('fastify', 'shutdown'),
  terminator,
);
for (const framework of FRAMEWORKS) {
  const name = framework === 'fastify' ? 'Fastify' : 'Express';
  const a = added(framework, 'feedback');
  if (a !== undefined) target(`${name}: ORCA header ≤ 1 µs`, us(a), a <= 1);
  const c = added(framework, 'client-ip');
  if (c !== undefined) target(`${name}: client-ip ≤ 1 µs`, us(c), c <= 1);
  const h = added(framework, 'health');
  if (h !== undefined) target(`${name}: health on a non-probe route ≈ free (≤ 0.5 µs)`, us(h), h <= 0.5);
}

const command = 'npx -y pnpm@10.34.8 build && node bench/cost/run.mjs';
const markdown = `## The kit's own cost on the app's routes

\`${command}\` (${ROUNDS} interleaved rounds; \`COST_SECONDS\`, \`COST_ROUNDS\`, \`COST_CONNECTIONS\`,
\`COST_FRAMEWORKS=fastify\`, \`COST_VARIANTS=shutdown,all\` narrow it down, and a narrowed run does not write here).

\`GET /hello\` answering \`{"hello":"world"}\`, each variant in a fresh server process on 127.0.0.1 configured
as the demo apps configure it (bench/cost/server.mjs), autocannon in another process: ${CONNECTIONS} connections,
${WARMUP_SECONDS} s of warm-up, then ${SECONDS} s measured. Each round runs every variant once (order rotated per
round); ratios are against the bare app of the same round; figures are the median over rounds (min–max in
brackets). *Server CPU µs/req* is the server process's own \`process.cpuUsage()\` over the measured window
divided by the requests it answered (noise-free of the load generator, which runs in its own process);
*µs CPU added* is that minus bare's in the same round. *µs added (1/rps)* is 1/rps − 1/rps(bare): with the
server saturating one core, the wall time per request it adds (an estimate, noisier on a shared machine).

Load average during the run: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${availableParallelism()} cores (the server and autocannon keep two busy)${
  Math.max(...loads) > availableParallelism() + 1
    ? ' — other work shared the machine, so req/s, p99 and even CPU per request are noise here; bench/cost/instructions.mjs counts instructions instead'
    : ''
}.

${tables.join('\n\n')}

**Targets** (issue 18)

| target | measured | |
|---|---|---|
${targets.join('\n')}

${machine()}`;

console.log(`\n${markdown}`);
if (WRITE) writeSection('cost', markdown);
else console.log('\n(narrowed run: bench/RESULTS.md left as it is)');
