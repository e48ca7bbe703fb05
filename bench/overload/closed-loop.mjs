// Overload as a retry storm: a closed loop of 96 connections that send the next request the moment the last was answered, 503s included.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { machine, writeSection } from '../lib/results.mjs';

const WORK_MS = Number(process.env.WORK_MS ?? 4);
const PATH = `/work?ms=${WORK_MS}`;
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 96);
const WARM_MS = 1000; // one connection, not measured: JIT and the shedder's first windows
const LIGHT_MS = Number(process.env.LIGHT_MS ?? 3000);
const FLOOD_MS = Number(process.env.FLOOD_MS ?? 8000);
const ONSET_MS = 1000; // "after the first second" excludes this much of the flood
const REJECT_MS = Number(process.env.REJECT_MS ?? 3000);
const RUNS = Number(process.env.RUNS ?? 3);
const ONLY = process.env.CONFIGS?.split(',');

const CONFIGS = [
  { key: 'express-none', framework: 'express', variant: 'none', label: 'Express, no shedding' },
  { key: 'express-lbkit', framework: 'express', variant: 'lbkit', label: 'Express, `loadShedding()`' },
  {
    key: 'express-lbkit-node',
    framework: 'express',
    variant: 'lbkit-node',
    label: 'Express behind lbkit at node:http',
  },
  { key: 'fastify-lbkit', framework: 'fastify', variant: 'lbkit', label: 'Fastify, `sheddingPlugin`' },
].filter((c) => !ONLY || ONLY.includes(c.key));

const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));

/** Starts `server.mjs` in its own process (the generator never shares the server's event loop). */
async function startServer(framework, variant) {
  const child = spawn(process.execPath, [SERVER, framework, variant], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await once(child.stdout, 'data');
  const { port } = JSON.parse(line.toString());
  return { child, origin: `http://127.0.0.1:${port}` };
}

async function stopServer(server) {
  server.child.kill('SIGKILL');
  if (server.child.exitCode === null) await once(server.child, 'exit');
}

/**
 * `connections` keep-alive clients, each sending GET `path` the moment its last answer (whatever
 * its status) arrived, for `durationMs`. Resolves with one record per request:
 * { sentAt (ms from the phase start), latency (ms), status (0: no answer) }.
 */
async function loop(origin, connections, durationMs, preopen = false) {
  // One undici Client (one connection) per client: a Pool may queue several clients' requests on
  // one connection while others are still connecting, which would time the generator's own queue.
  const sockets = Array.from(
    { length: connections },
    () =>
      new Client(origin, {
        pipelining: 1,
        keepAliveTimeout: 60_000,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      }),
  );
  if (preopen) {
    // A balancer's pool, open before the storm: one liveness probe (exempt, cheap) per connection,
    // then a pause for the server to go idle. Without it, every connection is opened at the storm's
    // start, and a busy Node server accepts one connection per event-loop turn (libuv since 1.45,
    // libuv/libuv#3696): the last of 96 is accepted ~96 turns later, its first request waiting in
    // the kernel's accept queue all that time, whatever the app does.
    await Promise.all(
      sockets.map(async (socket) => {
        const { body } = await socket.request({ path: '/health/live', method: 'GET' });
        await body.dump();
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const records = [];
  const t0 = performance.now();
  const end = t0 + durationMs;
  const client = async (socket) => {
    while (performance.now() < end) {
      const sent = performance.now();
      const record = { sentAt: sent - t0, latency: Number.POSITIVE_INFINITY, status: 0 };
      records.push(record);
      try {
        const { statusCode, body } = await socket.request({ path: PATH, method: 'GET' });
        await body.dump();
        record.status = statusCode;
      } catch {}
      record.latency = performance.now() - sent;
    }
  };
  await Promise.all(sockets.map(client));
  await Promise.all(sockets.map((socket) => socket.destroy().catch(() => {})));
  return records;
}

function quantile(values, q) {
  if (values.length === 0) return Number.NaN;
  const v = [...values].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor(q * v.length))];
}

/** The figures of one phase's records; `fromMs` drops what was sent before it. */
function figures(records, durationMs, fromMs = 0) {
  const kept = records.filter((r) => r.sentAt >= fromMs);
  const ok = kept.filter((r) => r.status >= 200 && r.status < 300);
  // Goodput: 2xx answered within the phase, per second of the phase.
  const answeredInTime = records.filter(
    (r) => r.status >= 200 && r.status < 300 && r.sentAt + r.latency <= durationMs,
  );
  return {
    goodput: (answeredInTime.length * 1000) / durationMs,
    p99: quantile(
      ok.map((r) => r.latency),
      0.99,
    ),
    shed: kept.filter((r) => r.status === 503).length,
    errors: kept.filter((r) => r.status !== 503 && (r.status < 200 || r.status >= 300)).length,
    total: kept.length,
  };
}

/** One run of one configuration: a fresh server, warm-up, light load, then the storm. */
async function cell(config) {
  const server = await startServer(config.framework, config.variant);
  try {
    await loop(server.origin, 1, WARM_MS);
    const light = await loop(server.origin, 1, LIGHT_MS);
    const flood = await loop(server.origin, CONNECTIONS, FLOOD_MS);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const pooled = figures(await loop(server.origin, CONNECTIONS, FLOOD_MS, true), FLOOD_MS);
    const l = figures(light, LIGHT_MS);
    const whole = figures(flood, FLOOD_MS);
    const after = figures(flood, FLOOD_MS, ONSET_MS);
    return {
      light: l.goodput,
      lightP99: l.p99,
      flood: whole.goodput,
      ratio: whole.goodput / l.goodput,
      p99: whole.p99,
      p99After: after.p99,
      pooledRatio: pooled.goodput / l.goodput,
      pooledP99: pooled.p99,
      shedShare: whole.shed / whole.total,
      errors: whole.errors + l.errors + pooled.errors,
    };
  } finally {
    await stopServer(server);
  }
}

/** CPU seconds `pid` has used so far (Linux /proc; USER_HZ 100). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * What one rejection costs an integration: every request shed (the lifecycle stopped), closed loop,
 * 32 connections; the server's CPU time per rejection (a rate alone would also measure the
 * generator, which shares the machine) and the rejections per second.
 */
async function rejectionCost(framework) {
  const server = await startServer(framework, 'reject-cost');
  try {
    await loop(server.origin, 32, 500);
    const before = cpuSeconds(server.child.pid);
    const records = await loop(server.origin, 32, REJECT_MS);
    const cpu = cpuSeconds(server.child.pid) - before;
    const answered = records.filter((r) => r.status === 503).length;
    return { us: (cpu * 1e6) / answered, rate: (answered * 1000) / REJECT_MS };
  } finally {
    await stopServer(server);
  }
}

const fmt = (v, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const ms = (v) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '–');
const mid = (values) => {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
/** "median (min–max)" over runs. */
function spread(values, format) {
  const v = values.filter(Number.isFinite);
  if (v.length < 2) return format(mid(values));
  return `${format(mid(v))} (${format(Math.min(...v))}–${format(Math.max(...v))})`;
}

export async function main() {
  const started = performance.now();
  const loadAtStart = loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  const results = CONFIGS.map((c) => ({ ...c, runs: [] }));
  const rejections = { express: [], node: [], fastify: [] };
  // Run-major order: every configuration once before any runs again, so a burst of activity from
  // other processes spreads over configurations instead of spoiling one of them.
  for (let run = 0; run < RUNS; run++) {
    for (const r of results) {
      const c = await cell(r);
      r.runs.push(c);
      console.log(
        `${r.key.padEnd(20)} run ${run + 1}/${RUNS} light ${fmt(c.light)}/s p99 ${ms(c.lightP99)} | flood ${fmt(c.flood)}/s (${fmt(c.ratio, 2)}) p99 ${ms(c.p99)} after 1 s ${ms(c.p99After)} | pooled (${fmt(c.pooledRatio, 2)}) p99 ${ms(c.pooledP99)} | shed ${fmt(100 * c.shedShare)}% errors ${c.errors}`,
      );
    }
    for (const framework of Object.keys(rejections)) {
      const cost = await rejectionCost(framework);
      rejections[framework].push(cost);
      console.log(
        `rejection ${framework} run ${run + 1}/${RUNS}: ${fmt(cost.us, 1)} µs of server CPU each, ${fmt(cost.rate)}/s`,
      );
    }
  }
  const minutes = ((performance.now() - started) / 60_000).toFixed(1);
  const loadAtEnd = loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');

  const col = (r, key, format) =>
    spread(
      r.runs.map((c) => c[key]),
      format,
    );
  const rows = results.map(
    (r) =>
      `| ${r.label} | ${col(r, 'light', fmt)} | ${col(r, 'flood', fmt)} | ${col(r, 'ratio', (v) => fmt(v, 2))} | ${col(r, 'p99', ms)} | ${col(r, 'p99After', ms)} | ${col(r, 'pooledRatio', (v) => fmt(v, 2))} | ${col(r, 'pooledP99', ms)} | ${col(r, 'lightP99', ms)} | ${col(r, 'shedShare', (v) => `${fmt(100 * v)}%`)} | ${r.runs.map((c) => c.errors).join(' / ')} |`,
  );
  const costUs = (framework) => rejections[framework].map((c) => c.us);
  const rates = (framework) => rejections[framework].map((c) => c.rate);
  // Per run, side by side: each run measures the three integrations back to back.
  const costRatios = rejections.express.map((c, i) => c.us / rejections.node[i].us);

  /** One target, judged in each run. */
  const target = (name, perRun) => {
    const met = perRun.filter((x) => x.ok).length;
    const verdict =
      met === perRun.length ? 'met' : `**not met** (${perRun.length - met} of ${perRun.length} runs)`;
    return `| ${name} | ${perRun.map((x) => x.text).join('; ')} | ${verdict} |`;
  };
  const targets = [
    target(
      'An Express `loadShedding()` rejection costs ≤ 1.5× a node:http rejection',
      costRatios.map((x) => ({ text: `${fmt(x, 2)}×`, ok: x <= 1.5 })),
    ),
  ];
  for (const r of results.filter((x) => x.variant === 'lbkit')) {
    targets.push(
      target(
        `${r.label}: storm goodput ≥ 0.9× light-load throughput`,
        r.runs.map((c) => ({ text: fmt(c.ratio, 2), ok: c.ratio >= 0.9 })),
      ),
      target(
        `${r.label}: no errors but 503s`,
        r.runs.map((c) => ({ text: String(c.errors), ok: c.errors === 0 })),
      ),
      target(
        `${r.label}: admitted p99 over the whole storm ≤ 4× light p99 + 10 ms`,
        r.runs.map((c) => ({
          text: `${ms(c.p99)} vs ${ms(4 * c.lightP99 + 10)} ms`,
          ok: c.p99 <= 4 * c.lightP99 + 10,
        })),
      ),
      target(
        `${r.label}, connections open before the storm: goodput ≥ 0.9×`,
        r.runs.map((c) => ({ text: fmt(c.pooledRatio, 2), ok: c.pooledRatio >= 0.9 })),
      ),
      target(
        `${r.label}, connections open before the storm: admitted p99 over the whole storm ≤ 4× light p99 + 10 ms`,
        r.runs.map((c) => ({
          text: `${ms(c.pooledP99)} vs ${ms(4 * c.lightP99 + 10)} ms`,
          ok: c.pooledP99 <= 4 * c.lightP99 + 10,
        })),
      ),
    );
  }

  const markdown = `## Overload: a retry storm (closed loop, \`bench/overload\`)

Reproduce: \`pnpm build && node bench/overload/closed-loop.mjs\` (or \`node bench/overload/run.mjs closed\`; about ${minutes} minutes;
\`RUNS=1\` for one run, \`CONFIGS=express-lbkit,fastify-lbkit\` a subset).

The demo apps (\`examples/express\`, \`examples/fastify\`, sessions in memory) serve \`GET ${PATH}\`, which burns ${WORK_MS} ms of
CPU. The server runs alone in its own process, the generator (one undici Client per connection) in another. Each run of each configuration
starts a fresh server: ${WARM_MS / 1000} s of warm-up on one connection (not measured), ${LIGHT_MS / 1000} s of **light load** (one keep-alive
connection, each request sent when the last was answered), then the **storm**: ${CONNECTIONS} keep-alive connections, each sending
the next request the moment the last one was answered, a 503 included, for ${FLOOD_MS / 1000} s. Configurations run one after another
within a run, ${RUNS} runs; figures are the median with (min–max) over the runs.

- **2xx/s**: 2xx answered within the phase, per second. **Ratio**: storm 2xx/s ÷ light-load 2xx/s of the same run.
- **Admitted p99**: of the 2xx answers, from the moment the request was sent; over the whole storm, and over the
  requests sent after its first ${ONSET_MS / 1000} s.
- **Pooled**: the storm again on the same server (after 0.5 s of rest), on ${CONNECTIONS} connections opened before it (one
  \`/health/live\` each, then 0.2 s idle), as a balancer's keep-alive pool would be: ratio of its 2xx/s to light load, and its
  admitted p99 over the whole storm. Opened at the storm's start instead, connections are accepted one per event-loop turn
  by a busy Node server (libuv ≥ 1.45 accepts once per turn, libuv/libuv#3696): with 4 ms turns the last of ${CONNECTIONS} is
  accepted ~0.4 s in, and its first request waits that long in the kernel's accept queue before any app code sees it. That
  wait, not the admission queue, is most of the whole-storm p99 of the first columns. **Errors**: answers that are neither 2xx nor 503, and requests with no answer (per run).
- **Configurations**: no shedding; \`loadShedding()\` with its defaults, as the demo app mounts it (first); the same
  Express app behind \`LoadShedder.admit()\` in a node:http handler (the README's node:http recipe); \`sheddingPlugin\`
  with its defaults.

| app | light-load 2xx/s | storm 2xx/s | ratio | admitted p99, whole storm (ms) | after the first second (ms) | pooled ratio | pooled p99, whole storm (ms) | light p99 (ms) | shed | errors |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

**What one rejection costs** (every request shed: the lifecycle is stopped; closed loop, 32 connections, ${REJECT_MS / 1000} s, one bare
app per integration, measured after each run; server CPU time per rejection, from /proc): \`loadShedding()\` first in a bare
Express app ${spread(costUs('express'), (v) => fmt(v, 1))} µs (${spread(rates('express'), fmt)} rejections/s), \`LoadShedder.admit()\` in a
node:http handler ${spread(costUs('node'), (v) => fmt(v, 1))} µs (${spread(rates('node'), fmt)}/s), \`sheddingPlugin\` in a bare Fastify app
${spread(costUs('fastify'), (v) => fmt(v, 1))} µs (${spread(rates('fastify'), fmt)}/s).

### Targets (issue #18)

| target | per run | verdict |
|---|---|---|
${targets.join('\n')}

Load average ${loadAtStart} at the start, ${loadAtEnd} at the end; the machine may be shared, so compare within a run.

${machine()}
`;
  if (!process.env.DRY) writeSection('overload-closed-loop', markdown);
  console.log(markdown);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
