// The headline overload benchmark: open-loop load at 0.5–4× capacity against the demo apps, with and without shedding.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { machine, writeSection } from '../lib/results.mjs';
import { recoveryMs, window } from './analyse.mjs';
import { closedLoop, openLoop } from './open-loop.mjs';
import { plot } from './plot.mjs';

const WORK_MS = Number(process.env.WORK_MS ?? 2);
const PATH = `/work?ms=${WORK_MS}`;
const LOADS = (process.env.LOADS ?? '0.5,0.8,1,1.5,2,4').split(',').map(Number);
const WARM_MS = 1000; // at 0.5× before each step, so every step starts from a warm, unloaded process
const STEP_MS = Number(process.env.STEP_MS ?? 4000);
const SKIP_MS = 1000; // first second of a step: the transient, reported through recovery instead
const RECOVERY_MS = 2000; // at 0.5× after each overloaded step
const SWEEP = (process.env.SWEEP ?? '1,2,4,8').split(',').map(Number);
const ONLY = process.env.CONFIGS?.split(',');

const CONFIGS = [
  {
    key: 'express-none',
    framework: 'express',
    variant: 'none',
    label: 'Express, no shedding',
    dash: true,
    colour: '#7f7f7f',
  },
  {
    key: 'express-fixed',
    framework: 'express',
    variant: 'fixed',
    label: 'Express, fixed limit',
    colour: '#bcbd22',
  },
  {
    key: 'express-toobusy',
    framework: 'express',
    variant: 'toobusy',
    label: 'Express, toobusy-js',
    colour: '#ff7f0e',
  },
  {
    key: 'express-lbkit',
    framework: 'express',
    variant: 'lbkit',
    label: 'Express, lbkit',
    colour: '#1f77b4',
  },
  {
    key: 'express-lbkit-node',
    framework: 'express',
    variant: 'lbkit-node',
    label: 'Express, lbkit on node:http',
    dash: true,
    colour: '#17becf',
  },
  {
    key: 'fastify-none',
    framework: 'fastify',
    variant: 'none',
    label: 'Fastify, no shedding',
    dash: true,
    colour: '#111111',
  },
  {
    key: 'fastify-under-pressure',
    framework: 'fastify',
    variant: 'under-pressure',
    label: 'Fastify, under-pressure (README example)',
    colour: '#9467bd',
  },
  {
    key: 'fastify-under-pressure-loop',
    framework: 'fastify',
    variant: 'under-pressure-loop',
    label: 'Fastify, under-pressure (event loop only)',
    colour: '#e377c2',
  },
  {
    key: 'fastify-lbkit',
    framework: 'fastify',
    variant: 'lbkit',
    label: 'Fastify, lbkit',
    colour: '#2ca02c',
  },
].filter((c) => !ONLY || ONLY.includes(c.key));

/** Starts `server.mjs` in its own process (the generator must never share the server's core). */
async function startServer(framework, variant, fixed) {
  const args = [new URL('./server.mjs', import.meta.url).pathname, framework, variant];
  if (fixed !== undefined) args.push(String(fixed));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(child.stdout, 'data');
  const { port, pid } = JSON.parse(line.toString());
  return { child, pid, origin: `http://127.0.0.1:${port}` };
}

async function stopServer(server) {
  server.child.kill('SIGKILL');
  if (server.child.exitCode === null) await once(server.child, 'exit');
}

/** CPU seconds used so far by `pid`, by this process, and by the whole machine (Linux /proc). */
function cpu(pid) {
  const ticks = 100; // USER_HZ
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const server = (Number(fields[11]) + Number(fields[12])) / ticks;
  const own = process.cpuUsage();
  const total = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = total[3] + total[4];
  const busy = total.reduce((a, b) => a + b, 0) - idle;
  return { server, generator: (own.user + own.system) / 1e6, machine: busy / ticks, at: performance.now() };
}

/** One cell: a fresh server, warm-up, the step at `load` × capacity, then recovery at 0.5×. */
async function cell(config, load, capacity, okMs) {
  const server = await startServer(config.framework, config.variant, config.fixed);
  try {
    const phases = [
      { rate: 0.5 * capacity, durationMs: WARM_MS },
      { rate: load * capacity, durationMs: STEP_MS },
    ];
    const overloaded = load > 1;
    if (overloaded) phases.push({ rate: 0.5 * capacity, durationMs: RECOVERY_MS });
    const startAt = performance.now() + 50;
    const samples = [];
    const sampleAt = (offset) =>
      setTimeout(() => samples.push(cpu(server.pid)), Math.max(0, startAt + offset - performance.now()));
    sampleAt(WARM_MS + SKIP_MS);
    sampleAt(WARM_MS + STEP_MS);
    const { records } = await openLoop({ origin: server.origin, path: PATH, phases, startAt });
    const figures = window(records, WARM_MS + SKIP_MS, WARM_MS + STEP_MS, capacity);
    const [a, b] = samples;
    const seconds = (b.at - a.at) / 1000;
    const serverShare = (b.server - a.server) / seconds;
    const others = Math.max(
      0,
      (b.machine - a.machine - (b.server - a.server) - (b.generator - a.generator)) / seconds,
    );
    const end = WARM_MS + STEP_MS + RECOVERY_MS;
    const recovery = overloaded ? recoveryMs(records, WARM_MS + STEP_MS, end, okMs) : undefined;
    return { load, ...figures, serverShare, others, recovery };
  } finally {
    await stopServer(server);
  }
}

async function capacityOf(framework) {
  const server = await startServer(framework, 'none');
  try {
    return await closedLoop({
      origin: server.origin,
      path: PATH,
      connections: 32,
      warmupMs: 1000,
      durationMs: 3000,
    });
  } finally {
    await stopServer(server);
  }
}

const fmt = (v, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const ms = (v) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '–');
const pct = (v) => `${(100 * v).toFixed(v > 0 && v < 0.01 ? 1 : 0)}%`;
const rec = (v) =>
  v === undefined ? '' : Number.isFinite(v) ? `${(v / 1000).toFixed(2)} s` : `> ${RECOVERY_MS / 1000} s`;
function describe(c) {
  return `goodput ${fmt(c.goodput, 2)} p50 ${ms(c.p50)} p99 ${ms(c.p99)} shed ${pct(c.shedRate)} err ${pct(c.errorRate)} cpu ${fmt(c.serverShare, 2)} others ${fmt(c.others, 2)} ${rec(c.recovery)}`;
}

const started = performance.now();
const loadAtStart = loadavg()
  .map((v) => v.toFixed(2))
  .join(' ');
const capacityAtEnd = {};
// CAPACITY=express:420,fastify:450 skips the measurement (tuning runs).
const capacity = Object.fromEntries(
  (process.env.CAPACITY ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => {
      const [k, v] = kv.split(':');
      return [k, Number(v)];
    }),
);
for (const framework of new Set(CONFIGS.map((c) => c.framework))) {
  capacity[framework] ??= await capacityOf(framework);
  console.log(
    `capacity ${framework}: ${capacity[framework].toFixed(0)} req/s (closed loop, 32 connections, ${PATH})`,
  );
}

// The fixed limit at its best value: sweep it at 2× capacity, keep the best goodput (then lowest p99).
let sweep = [];
const fixedConfig = CONFIGS.find((c) => c.variant === 'fixed');
if (fixedConfig) {
  for (const n of SWEEP) {
    const c = await cell({ ...fixedConfig, fixed: n }, 2, capacity.express, 100);
    sweep.push({ n, ...c });
    console.log(`sweep fixed limit ${n}: ${describe(c)}`);
  }
  sweep = sweep.sort((a, b) => b.goodput - a.goodput || a.p99 - b.p99);
  fixedConfig.fixed = sweep[0].n;
  fixedConfig.label = `Express, fixed limit ${sweep[0].n}`;
}

// Load-major order: every configuration runs its cell at one load before any runs the next, so a
// burst of activity from other processes on the machine spreads over configurations instead of
// spoiling one of them.
const results = CONFIGS.map((config) => ({ ...config, cells: [] }));
const okMs = new Map();
for (const load of LOADS) {
  for (const r of results) {
    const c = await cell(r, load, capacity[r.framework], okMs.get(r.key) ?? 100);
    // Recovered means: answered as at half load again (2 × its p99 there, at least 50 ms).
    if (load === 0.5) okMs.set(r.key, Math.max(50, 2 * c.p99));
    r.cells.push(c);
    console.log(`${r.key.padEnd(28)} ${String(load).padStart(4)}× ${describe(c)}`);
  }
}
// Capacity again at the end, as a noise indicator (offered loads and goodput stay relative to the
// reading at the start, which set them).
for (const framework of Object.keys(capacity)) {
  const again = await capacityOf(framework);
  console.log(`capacity ${framework} at the end: ${again.toFixed(0)} req/s`);
  capacityAtEnd[framework] = again;
}
const minutes = ((performance.now() - started) / 60_000).toFixed(1);
const loadAtEnd = loadavg()
  .map((v) => v.toFixed(2))
  .join(' ');

mkdirSync(new URL('../.out/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('../.out/overload.json', import.meta.url),
  JSON.stringify({ capacity, capacityAtEnd, sweep, results, loadAtStart, loadAtEnd }, null, 2),
);
if (!process.env.DRY)
  writeFileSync(
    new URL('./overload.svg', import.meta.url),
    plot(results, `${PATH}, open loop, ${machine()}; lines: configurations, dotted: ideal goodput`),
  );

/** The issue's targets, checked for one configuration. */
function targets(r) {
  const at = (load) => r.cells.find((c) => c.load === load);
  const c2 = at(2);
  const c08 = at(0.8);
  const c4 = at(4);
  const below = r.cells.filter((c) => c.load <= 0.8);
  const recoveries = r.cells.filter((c) => c.recovery !== undefined).map((c) => c.recovery);
  const check = (ok) => (ok ? 'met' : '**missed**');
  return [
    `goodput at 2× ≥ 0.90: ${fmt(c2?.goodput, 2)} (${check(c2?.goodput >= 0.9)})`,
    `admitted p99 at 2× ≤ 2 × p99 at 0.8×: ${ms(c2?.p99)} ms vs 2 × ${ms(c08?.p99)} ms (${check(c2?.p99 <= 2 * c08?.p99)})`,
    `no shedding at or below 0.8×: ${below.map((c) => pct(c.shedRate)).join(', ')} (${check(below.every((c) => c.shedRate === 0))})`,
    `no collapse at 4× (goodput ≥ 0.5, half of capacity still served in time): ${fmt(c4?.goodput, 2)} (${check(c4?.goodput >= 0.5)})`,
    `recovery within 1 s: ${recoveries.map(rec).join(', ')} (${check(recoveries.every((v) => v <= 1000))})`,
  ];
}

const table = (title, value) => {
  const head = `| ${title} | ${LOADS.map((l) => `${l}×`).join(' | ')} |`;
  const rule = `|---|${LOADS.map(() => '---:').join('|')}|`;
  const rows = results.map((r) => `| ${r.label} | ${r.cells.map(value).join(' | ')} |`);
  return [head, rule, ...rows].join('\n');
};

const noisy = results.flatMap((r) =>
  r.cells.filter((c) => c.load >= 1 && c.serverShare < 0.9).map((c) => `${r.key} ${c.load}×`),
);
const maxOthers = Math.max(...results.flatMap((r) => r.cells.map((c) => c.others)));
const markdown = `## Overload: goodput under open-loop load (\`bench/overload\`)

Reproduce: \`pnpm build && node bench/overload/run.mjs\` (about ${minutes} minutes; \`CONFIGS=express-lbkit,fastify-lbkit\` runs a subset).

The demo apps (\`examples/express\`, \`examples/fastify\`, sessions in memory) serve \`GET ${PATH}\`, which burns ${WORK_MS} ms
of CPU. The server runs in its own process; the load generator (\`open-loop.mjs\`, undici Pool, up to 512 connections)
in another. Arrivals follow a fixed schedule whatever the responses do, and latency is measured from each request's
scheduled time, so a slow server cannot slow the generator down and hide its own queue.

- **Capacity** (closed loop, 32 connections, no shedding, best of three 2 s runs): Express ${capacity.express?.toFixed(0) ?? '–'} req/s,
  Fastify ${capacity.fastify?.toFixed(0) ?? '–'} req/s (measured again at the end: ${capacityAtEnd.express?.toFixed(0) ?? '–'} and
  ${capacityAtEnd.fastify?.toFixed(0) ?? '–'}). Offered load is a multiple of the framework's capacity measured at the start.
  Open-loop arrivals batch less than a closed loop, so each request costs more: 0.8× already keeps the server busy
  about 90% of the time (see the CPU figures below).
- **Each cell**: a fresh server (cells run load by load, every configuration at one load before the next load); ${WARM_MS / 1000} s at 0.5×, then ${STEP_MS / 1000} s at the offered load (figures over its last
  ${(STEP_MS - SKIP_MS) / 1000} s), then, above 1×, ${RECOVERY_MS / 1000} s back at 0.5×.
- **Goodput**: 2xx answered within 1 s of their scheduled time and completed during the measured seconds, per second,
  as a fraction of capacity. **p50/p99**: of admitted (2xx) requests scheduled in those seconds. **Shed**: share answered 503. **Recovery**: time after the load drops back to 0.5× to the
  end of the last 100 ms in which more than 1% of requests were shed, failed or slower than twice the configuration's
  p99 at 0.5× (at least 50 ms).
- **Configurations**: no shedding; lbkit with a fixed limit at its best value (swept over ${SWEEP.join(', ')} at 2×,
  best: ${sweep[0]?.n ?? '–'}); toobusy-js as its README shows it (defaults: maxLag 70 ms, interval 500 ms);
  @fastify/under-pressure with its README example settings (maxEventLoopDelay 1000, maxHeapUsedBytes and
  maxRssBytes 100 MB, maxEventLoopUtilization 0.98), and with only that example's two event-loop thresholds (its
  100 MB RSS limit alone sheds everything once the demo's RSS passes 100 MB); lbkit with its defaults, as the demo apps use it
  (\`loadShedding()\` mounted first / \`sheddingPlugin\`); and, for reference, the same Express app behind lbkit at the
  node:http level (the README's node:http recipe), where a shed request never enters Express.

![goodput and p99 against offered load](overload/overload.svg)

${table('Goodput (× capacity)', (c) => fmt(c.goodput, 2))}

${table('Admitted p50 / p99 (ms)', (c) => `${ms(c.p50)} / ${ms(c.p99)}`)}

${table('Shed (503)', (c) => pct(c.shedRate))}

${table('Errors (no answer, timeouts)', (c) => pct(c.errorRate))}

${table('Recovery after the drop to 0.5×', (c) => rec(c.recovery) || '')}

Fixed-limit sweep at 2× (Express): ${sweep.map((s) => `limit ${s.n}: goodput ${fmt(s.goodput, 2)}, p99 ${ms(s.p99)} ms`).join('; ')}.

### The issue's targets

${results
  .filter((r) => r.variant.startsWith('lbkit'))
  .map(
    (r) =>
      `**${r.label}**\n\n${targets(r)
        .map((t) => `- ${t}`)
        .join('\n')}`,
  )
  .join('\n\n')}

Why the two Express lbkit rows differ: Express does roughly 0.3 ms of its own work per request on this machine before
its first middleware runs (about 3,500 bare 503s a second, against about 13,500 for Fastify and 15,000 for a plain
node:http handler), and a request shed by \`loadShedding()\` still pays it; at 2× capacity half the requests are shed, so
that cost decides the last few percent of goodput. The node:http row runs the same shedder in front of Express.

### Noise

${table('Server CPU / other processes (cores)', (c) => `${fmt(c.serverShare, 2)} / ${fmt(c.others, 2)}`)}

Server CPU share during overloaded steps (1.0 = a whole core; a little above 1 is GC and libuv threads): ${
  noisy.length ? `below 0.9 in ${noisy.join(', ')}` : 'at least 0.9 in every cell at 1× and above'
}. Other processes on the machine used up to ${fmt(maxOthers, 2)} cores during a step (load average ${loadAtStart} at the
start, ${loadAtEnd} at the end); this machine is shared, so absolute figures move between runs; compare within a run.

${machine()}
`;
// DRY=1: print only (tuning runs leave RESULTS.md and the plot alone).
if (!process.env.DRY) writeSection('overload', markdown);
console.log(markdown);
