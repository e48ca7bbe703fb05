// The first seconds after a restart with and without warm-up: p50/p99/max of a cold route, traffic from the moment readiness passes.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { Agent, get } from 'node:http';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { machine, writeSection } from '../lib/results.mjs';

const RUNS = Number(process.env.RUNS ?? 3);
const WINDOW_S = Number(process.env.WINDOW_S ?? 2);
const RATE = Number(process.env.RATE ?? 400);
const KEYS = Number(process.env.KEYS ?? 100);
const POLL_MS = Number(process.env.POLL_MS ?? 10);
/** A request this slow paid a cold cost (a cache miss is 40 ms in app.mjs) or waited behind one. */
const SLOW_MS = 40;
const frameworks = (process.env.FRAMEWORKS ?? 'express,fastify').split(',');
const variants = ['none', 'warm-up'];

/** Starts a fresh app and resolves once its readiness probe answers 200 (polled every POLL_MS, as a balancer would). */
async function startReady(framework, variant) {
  const startedAt = performance.now();
  const child = fork(new URL('./app.mjs', import.meta.url), [framework, variant], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, KEYS: String(KEYS) },
  });
  const [{ port }] = await once(child, 'message');
  const listeningMs = performance.now() - startedAt;
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    const status = await new Promise((resolve) => {
      get(`${url}/health/ready`, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      }).on('error', () => resolve(0));
    });
    if (status === 200) break;
    if (performance.now() - startedAt > 30_000)
      throw new Error(`${framework} ${variant}: not ready after 30 s`);
    await sleep(POLL_MS);
  }
  return { child, url, listeningMs, readyMs: performance.now() - startedAt };
}

/** Deterministic keys (a small LCG), the same sequence for every variant. */
function keys(count) {
  let x = 12345;
  return Array.from({ length: count }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % KEYS;
  });
}

/**
 * Open loop at RATE req/s for WINDOW_S: latency from each request's scheduled time (a late send
 * counts as waiting), so a stalled server cannot hide its queue (no coordinated omission).
 */
async function load(url) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const sequence = keys(Math.round(RATE * WINDOW_S));
  const intervalMs = 1000 / RATE;
  const latencies = [];
  let errors = 0;
  const start = performance.now();
  const pending = [];
  let next = 0;
  while (next < sequence.length) {
    const now = performance.now();
    while (next < sequence.length && start + next * intervalMs <= now) {
      const due = start + next * intervalMs;
      const key = sequence[next++];
      pending.push(
        new Promise((resolve) => {
          get(`${url}/products?key=${key}`, { agent }, (res) => {
            res.resume();
            res.on('end', () => {
              if (res.statusCode === 200) latencies.push(performance.now() - due);
              else errors++;
              resolve();
            });
          }).on('error', () => {
            errors++;
            resolve();
          });
        }),
      );
    }
    await sleep(1);
  }
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return {
    p50: at(0.5),
    p99: at(0.99),
    max: latencies[latencies.length - 1],
    slow: latencies.filter((latency) => latency >= SLOW_MS).length,
    count: latencies.length,
    errors,
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value) => (value < 10 ? value.toFixed(1) : Math.round(value).toString());

const loadAtStart = loadavg()[0].toFixed(2);
const samples = {};
// Interleaved: each run starts every framework × variant once, so machine noise spreads over all of them.
for (let run = 1; run <= RUNS; run++) {
  for (const framework of frameworks) {
    for (const variant of variants) {
      const app = await startReady(framework, variant);
      try {
        const sample = { ...(await load(app.url)), readyMs: app.readyMs, listeningMs: app.listeningMs };
        if (sample.errors > 0) throw new Error(`${framework} ${variant}: ${sample.errors} failed requests`);
        const key = `${framework} ${variant}`;
        samples[key] = [...(samples[key] ?? []), sample];
        console.log(
          `run ${run} ${key}: ready ${ms(app.readyMs)} ms after start; p50 ${ms(sample.p50)} p99 ${ms(sample.p99)} max ${ms(sample.max)} ms; ${sample.slow} of ${sample.count} ≥ ${SLOW_MS} ms`,
        );
      } finally {
        app.child.kill();
        await once(app.child, 'exit');
      }
    }
  }
}

const rows = [];
const verdicts = [];
for (const framework of frameworks) {
  const p99 = {};
  for (const variant of variants) {
    const runs = samples[`${framework} ${variant}`];
    const p99s = runs.map((s) => s.p99);
    p99[variant] = median(p99s);
    rows.push(
      `| ${framework} | ${variant === 'none' ? 'no warm-up' : '`warmUp` (prime pool + every key)'} | ${ms(median(runs.map((s) => s.readyMs)))} | ${ms(median(runs.map((s) => s.p50)))} | ${ms(p99[variant])} (${ms(Math.min(...p99s))}–${ms(Math.max(...p99s))}) | ${ms(median(runs.map((s) => s.max)))} | ${median(runs.map((s) => s.slow))} (${runs.map((s) => s.slow).join(', ')}) |`,
    );
  }
  const paired = samples[`${framework} none`].map((s, i) => s.p99 / samples[`${framework} warm-up`][i].p99);
  verdicts.push(
    `${framework}: p99 ${ms(p99.none)} ms without warm-up against ${ms(p99['warm-up'])} ms with it (without ÷ with, per run: ${paired.map((r) => r.toFixed(1)).join(', ')})`,
  );
}

const command = 'npx -y pnpm@10.34.8 build && node bench/warmup/run.mjs';
const markdown = `## Warm-up before ready: the first seconds after a restart

\`${command}\` (env: \`RUNS\`, \`FRAMEWORKS\`, \`WINDOW_S\`, \`RATE\`, \`KEYS\`, \`POLL_MS\`, \`WRITE=0\`)

A freshly started app (Express \`healthcheck()\` / Fastify \`healthPlugin\`, each in its own process)
whose \`GET /products?key=K\` is cold at first: a pool that opens its ${8} connections on demand (80 ms
each) and a per-key cache whose miss costs a 40 ms backend call. The generator polls
\`/health/ready\` every ${POLL_MS} ms and, the moment it answers 200 (as a balancer would put the instance
in the pool), sends an open loop of ${RATE} req/s over ${KEYS} keys for ${WINDOW_S} s, latency measured
from each request's scheduled time. With \`warmUp\` the instance primes its pool (a task) and requests
every key of itself over loopback before readiness passes. ${RUNS} run${RUNS === 1 ? '' : 's'}, interleaved, fresh process
each; every figure is the median over the runs, p99 with its spread (min–max) in brackets. On a
loaded machine a stall of the whole host shows as a p99 of hundreds of ms in either variant: read
the spread and the per-run counts before the medians.

| framework | variant | ready after start (ms) | p50 (ms) | p99 (ms) | max (ms) | requests ≥ ${SLOW_MS} ms, of ${Math.round(RATE * WINDOW_S)} (per run) |
|---|---|---:|---:|---:|---:|---:|
${rows.join('\n')}

${verdicts.join('; ')}. Warm-up costs its own duration before ready (the "ready after start" column).

Load average at start: ${loadAtStart}. ${machine()}.
`;
// WRITE=0: an exploratory run (one framework, other settings) that must not replace the section.
if (process.env.WRITE !== '0') writeSection('warmup', markdown);
console.log(markdown);
