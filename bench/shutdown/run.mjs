// bench/shutdown: SIGTERM-to-exit time beside its lower bound, and rolling restarts behind HAProxy and nginx,
// for lbkit's gracefulShutdown, @godaddy/terminus, http-terminator and a naive close-and-exit, on the same demo app.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { binary, rollingRestart } from '../../test/e2e/lib/rolling-restart.mjs';
import { machine, writeSection } from '../lib/results.mjs';

const APP = fileURLToPath(new URL('./app.mjs', import.meta.url));
const VARIANTS = ['lbkit', 'terminus', 'http-terminator'];
const ROUNDS = Number(process.env.ROUNDS ?? 3);

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function startApp(variant, env) {
  const port = await freePort();
  const child = spawn(process.execPath, [APP], {
    env: { ...process.env, ...env, SHUTDOWN: variant, PORT: String(port), INSTANCE_ID: variant },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let exitAt;
  const exited = new Promise((resolve) =>
    child.once('exit', (code) => {
      exitAt = performance.now();
      resolve(code);
    }),
  );
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('listening on')) resolve();
    });
    child.once('exit', () => reject(new Error(`${variant} exited before listening: ${out}`)));
  });
  return { port, child, exited, exitAt: () => exitAt };
}

/**
 * SIGTERM while a balancer-like client keeps opening connections with GET /slow?ms=<requestMs>
 * every 50 ms until they are refused, with 20 idle keep-alive sockets open. The process cannot exit
 * before the delay has passed nor before the last accepted request was answered: that is the bound.
 */
async function timeToExit(variant, delayMs, requestMs) {
  const app = await startApp(variant, { DRAIN_DELAY_MS: String(delayMs), DRAIN_TIMEOUT_MS: '10000' });
  const idle = [];
  for (let i = 0; i < 20; i++) {
    const socket = connect({ port: app.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    socket.write('GET /slow?ms=0 HTTP/1.1\r\nHost: bench\r\n\r\n');
    idle.push(socket);
  }
  await sleep(200);
  const agent = new Agent({ pipelining: 0 });
  let lastAnswer = 0;
  let refused = false;
  let failed = 0;
  const pending = [];
  const sigterm = performance.now();
  app.child.kill('SIGTERM');
  while (!refused) {
    pending.push(
      request(`http://127.0.0.1:${app.port}/slow?ms=${requestMs}`, { dispatcher: agent, reset: true })
        .then(async (response) => {
          await response.body.text();
          if (response.statusCode === 200) lastAnswer = Math.max(lastAnswer, performance.now());
          else failed++;
        })
        .catch((error) => {
          if (error.code === 'ECONNREFUSED') refused = true;
          else failed++;
        }),
    );
    await sleep(50);
  }
  await Promise.all(pending);
  await app.exited;
  for (const socket of idle) socket.destroy();
  await agent.close();
  const exitMs = app.exitAt() - sigterm;
  const boundMs = Math.max(delayMs, lastAnswer - sigterm);
  return { exitMs, boundMs, failed };
}

function startRedis() {
  return freePort().then(async (port) => {
    const dir = mkdtempSync(join(tmpdir(), 'lbkit-bench-redis-'));
    const child = spawn(
      binary('redis-server'),
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    );
    await sleep(300);
    return {
      url: `redis://127.0.0.1:${port}`,
      close: () => {
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}

const scenarios = [
  { delayMs: 0, requestMs: 1000 },
  { delayMs: 1000, requestMs: 500 },
  { delayMs: 2000, requestMs: 1000 },
];
const timing = [];
for (const { delayMs, requestMs } of scenarios) {
  for (const variant of VARIANTS) {
    const runs = [];
    for (let round = 0; round < ROUNDS; round++) runs.push(await timeToExit(variant, delayMs, requestMs));
    const exitMs = median(runs.map((r) => r.exitMs));
    const boundMs = median(runs.map((r) => r.boundMs));
    const failed = runs.reduce((sum, r) => sum + r.failed, 0);
    timing.push({ delayMs, requestMs, variant, exitMs, boundMs, failed });
    console.log(
      `exit ${variant} delay=${delayMs} request=${requestMs}: ${exitMs.toFixed(0)} ms (bound ${boundMs.toFixed(0)}), failed ${failed}`,
    );
  }
}

const rolling = [];
const redis = await startRedis();
try {
  for (const balancer of ['haproxy', 'nginx']) {
    for (const variant of [...VARIANTS, 'naive']) {
      const result = await rollingRestart({
        balancer,
        app: APP,
        env: {
          SHUTDOWN: variant,
          REDIS_URL: redis.url,
          DRAIN_DELAY_MS: balancer === 'haproxy' ? '1500' : '1000',
          DRAIN_TIMEOUT_MS: '10000',
        },
      });
      rolling.push({ variant, ...result });
      console.log(
        `rolling ${balancer} ${variant}: ${result.failed} failed of ${result.requests}, lost ${result.lostWrites}`,
      );
    }
  }
} finally {
  redis.close();
}

const timingRows = timing.map(
  (t) =>
    `| ${t.delayMs} | ${t.requestMs} | ${t.variant} | ${t.exitMs.toFixed(0)} | ${t.boundMs.toFixed(0)} | +${(t.exitMs - t.boundMs).toFixed(0)} | ${t.failed} |`,
);
const rollingRows = rolling.map((r) => {
  const failures = Object.entries(r.failures)
    .map(([kind, n]) => `${kind} ×${n}`)
    .join(', ');
  return `| ${r.balancer} | ${r.variant} | ${r.requests} | ${r.failed} | ${r.lostWrites} | ${r.duplicateWrites} | ${r.exitCodes.join(' ')} | ${failures || '–'} |`;
});

writeSection(
  'shutdown',
  `## shutdown: SIGTERM to exit, and rolling restarts, lbkit vs terminus vs http-terminator

Reproduce: \`npx tsc -b && node bench/shutdown/run.mjs\` (env \`ROUNDS\`, default 3) — ${machine()}.

All variants run the same Express demo app (bench/shutdown/app.mjs, load shedding off) and begin by moving the
lifecycle to draining, so readiness answers 503; each waits DRAIN_DELAY_MS its own documented way (lbkit:
drainDelayMs; terminus: beforeShutdown; http-terminator: a sleep before terminate()) and bounds the drain at 10 s.

**SIGTERM to exit.** After SIGTERM a client keeps opening a new connection with GET /slow?ms=<request> every
50 ms, as a balancer that has not noticed yet would, until the connection is refused; 20 idle keep-alive sockets
are open. Lower bound = the later of the delay and the last answer the client received (no process can exit before
both). Median of ${ROUNDS} rounds; "failed" counts requests (all rounds) that were accepted but not answered 200.

| delay ms | request ms | variant | SIGTERM→exit ms | lower bound ms | overhead ms | failed |
|---:|---:|---|---:|---:|---:|---:|
${timingRows.join('\n')}

**Rolling restart** (the harness of test/e2e/rolling-restart.test.ts: three instances, Redis sessions, 12 keep-alive
users with GET /slow?ms=0..500, POST /session/:key and GET /session, each instance restarted in turn; DRAIN_DELAY_MS
1500 behind HAProxy, 1000 behind nginx). One run each; failed = non-2xx or connection errors seen by clients.

| balancer | variant | requests | failed | lost writes | duplicated writes | exit codes | failures |
|---|---|---:|---:|---:|---:|---|---|
${rollingRows.join('\n')}

Other benchmarks may have shared the 2 CPUs during this run; counts of failures do not depend on speed, timings do.`,
);
