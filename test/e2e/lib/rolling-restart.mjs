// A rolling restart of three app instances behind a real HAProxy or nginx under keep-alive load, counting failures.
// Plain ESM so that both the e2e test (vitest) and bench/shutdown/run.mjs (node) run the same code.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The built Express demo app (shared/CONTRACT.md). */
export const DEMO_APP = join(ROOT, 'examples/express/dist/main.js');

/** Absolute path of a binary on the PATH or in the sbin folders, or undefined. */
export function binary(name) {
  const path = `${process.env.PATH ?? ''}:/usr/sbin:/usr/local/sbin:/sbin`;
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { env: { ...process.env, PATH: path } });
  const out = found.stdout?.toString().trim();
  return found.status === 0 && out ? out : undefined;
}

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

async function waitForPort(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** Starts one app instance; resolves once it prints the contract's `listening on` line. */
function startInstance(script, port, id, env, log) {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', INSTANCE_ID: id },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let output = '';
  const listening = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      for (const line of String(chunk).split('\n')) if (line.trim()) log?.(`${id}: ${line}`);
      if (output.includes('listening on http://')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(({ code }) => reject(new Error(`${id} exited with ${code} before listening:\n${output}`)));
    setTimeout(() => reject(new Error(`${id} did not listen within 15 s:\n${output}`)), 15_000).unref();
  });
  return { id, port, child, exited, listening };
}

/** Starts HAProxy or nginx from examples/lb with the placeholders filled in. */
async function startBalancer(kind, port, appPorts, dir) {
  const template = readFileSync(
    join(ROOT, 'examples/lb', kind === 'haproxy' ? 'haproxy.cfg' : 'nginx.conf'),
    'utf8',
  );
  const values = {
    DIR: dir,
    PORT: port,
    APP1_PORT: appPorts[0],
    APP2_PORT: appPorts[1],
    APP3_PORT: appPorts[2],
  };
  const config = template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_, name) => String(values[name]));
  const file = join(dir, kind === 'haproxy' ? 'haproxy.cfg' : 'nginx.conf');
  writeFileSync(file, config);
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
    mkdirSync(join(dir, sub), { recursive: true });
  const child =
    kind === 'haproxy'
      ? spawn(binary('haproxy'), ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(binary('nginx'), ['-c', file, '-p', dir, '-e', join(dir, 'error.log')], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await Promise.race([
    waitForPort(port),
    exited.then((code) => Promise.reject(new Error(`${kind} exited with ${code}: ${stderr}`))),
  ]);
  return { child, exited, stderr: () => stderr };
}

/** HAProxy's view of a server ("UP", "DOWN", "UP 1/2", …) from its stats socket. */
function haproxyStatus(dir, server) {
  return new Promise((resolve) => {
    const socket = connect(join(dir, 'haproxy.sock'));
    let csv = '';
    socket.on('data', (chunk) => {
      csv += chunk;
    });
    socket.on('error', () => resolve('unknown'));
    socket.on('end', () => {
      const row = csv.split('\n').find((line) => line.startsWith(`app,${server},`));
      resolve(row?.split(',')[17] ?? 'unknown');
    });
    socket.write('show stat\n');
  });
}

async function waitUntil(test, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Waits until the balancer sends traffic to the instance on `port` again. */
async function waitServing(kind, dir, index, port) {
  if (kind === 'haproxy') {
    await waitUntil(
      async () => (await haproxyStatus(dir, `app${index + 1}`)) === 'UP',
      15_000,
      `app${index + 1} UP`,
    );
    return;
  }
  // nginx has no health checks: the instance serves once it listens, and nginx tries it again after fail_timeout.
  await waitForPort(port);
  await sleep(1200);
}

/**
 * One virtual user: a cookie jar and a sequential loop of mixed requests. Each user has its own
 * session, so the end state of that session is known exactly: every acknowledged write must be there.
 */
function virtualUser(pool, index, stats) {
  let cookie;
  const written = new Map();
  let views = 0;
  let seq = 0;
  const send = async (method, path, body) => {
    const response = await pool.request({
      method,
      path,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    const setCookie = response.headers['set-cookie'];
    const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    if (first) cookie = first.split(';')[0];
    const text = await response.body.text();
    return { status: response.statusCode, text };
  };
  const step = async () => {
    const roll = Math.random();
    const op = roll < 0.5 ? 'slow' : roll < 0.75 ? 'write' : 'views';
    stats.requests++;
    stats.byOp[op] = (stats.byOp[op] ?? 0) + 1;
    try {
      if (op === 'slow') {
        const { status, text } = await send('GET', `/slow?ms=${Math.floor(Math.random() * 501)}`);
        if (status !== 200) throw Object.assign(new Error(text.slice(0, 200)), { code: `HTTP ${status}` });
      } else if (op === 'write') {
        seq++;
        const key = `k${seq % 4}`;
        const { status } = await send('POST', `/session/${key}`, { seq, user: index });
        if (status !== 200) throw Object.assign(new Error(`status ${status}`), { code: `HTTP ${status}` });
        written.set(key, seq);
        stats.sessionWrites++;
      } else {
        const { status, text } = await send('GET', '/session');
        if (status !== 200) throw Object.assign(new Error(`status ${status}`), { code: `HTTP ${status}` });
        const next = JSON.parse(text).views;
        // Sequential requests of one user: a jump of more than one means an earlier attempt was
        // applied although its client never saw the answer (a balancer retried it elsewhere).
        if (next > views + 1) stats.duplicateWrites += next - views - 1;
        views = next;
        stats.sessionWrites++;
      }
    } catch (error) {
      stats.failed++;
      const kind = `${op}: ${error.code ?? error.message}`;
      stats.failures[kind] = (stats.failures[kind] ?? 0) + 1;
      if (stats.samples.length < 3) stats.samples.push(`${kind}: ${error.message}`);
    }
  };
  /** Reads the session back; counts acknowledged writes that are not there. */
  const verify = async () => {
    let lost = 0;
    try {
      const { status, text } = await send('POST', '/session/verify', { done: true });
      if (status !== 200) return written.size + (views ? 1 : 0);
      const data = JSON.parse(text);
      for (const [key, value] of written) if (!data[key] || data[key].seq < value) lost++;
      // views only grows: fewer than the last acknowledged value means a lost increment.
      if (views && (data.views ?? 0) < views) lost++;
    } catch {
      lost += written.size;
    }
    return lost;
  };
  return { step, verify };
}

/**
 * Runs three instances of `app` behind `balancer`, applies keep-alive load from `users` virtual
 * users, restarts every instance in turn (SIGTERM, wait for the exit, start the replacement on the
 * same port, wait until the balancer uses it), and returns the counts.
 */
export async function rollingRestart({
  balancer,
  app = DEMO_APP,
  env = {},
  users = 12,
  warmupMs = 800,
  log,
}) {
  const dir = mkdtempSync(join(tmpdir(), `lbkit-rolling-${balancer}-`));
  const ports = [await freePort(), await freePort(), await freePort()];
  const lbPort = await freePort();
  const instances = ports.map((port, i) => startInstance(app, port, `app${i + 1}`, env, log));
  let lb;
  const stats = {
    requests: 0,
    failed: 0,
    failures: {},
    samples: [],
    byOp: {},
    sessionWrites: 0,
    duplicateWrites: 0,
  };
  const started = Date.now();
  const exitCodes = [];
  const pool = new Pool(`http://127.0.0.1:${lbPort}`, { connections: users, keepAliveTimeout: 30_000 });
  try {
    await Promise.all(instances.map((instance) => instance.listening));
    lb = await startBalancer(balancer, lbPort, ports, dir);
    for (let i = 0; i < 3; i++) await waitServing(balancer, dir, i, ports[i]);
    const people = Array.from({ length: users }, (_, i) => virtualUser(pool, i, stats));
    let running = true;
    const loops = people.map(async (person) => {
      while (running) await person.step();
    });
    await sleep(warmupMs);
    for (let i = 0; i < 3; i++) {
      const old = instances[i];
      log?.(`restarting ${old.id}`);
      old.child.kill('SIGTERM');
      const exit = await old.exited;
      // terminus re-raises the signal after its cleanup: no exit code, the signal's name instead.
      exitCodes.push(exit.code ?? exit.signal);
      const fresh = startInstance(app, old.port, old.id, env, log);
      instances[i] = fresh;
      await fresh.listening;
      await waitServing(balancer, dir, i, old.port);
    }
    await sleep(warmupMs);
    running = false;
    await Promise.all(loops);
    let lostWrites = 0;
    for (const person of people) lostWrites += await person.verify();
    return {
      balancer,
      requests: stats.requests,
      failed: stats.failed,
      failures: stats.failures,
      samples: stats.samples,
      byOp: stats.byOp,
      sessionWrites: stats.sessionWrites,
      lostWrites,
      duplicateWrites: stats.duplicateWrites,
      exitCodes,
      durationMs: Date.now() - started,
    };
  } finally {
    await pool.close().catch(() => {});
    for (const instance of instances) instance.child.kill('SIGKILL');
    if (lb) {
      // SIGTERM, not SIGKILL: a killed nginx master leaves its workers behind, holding the port.
      lb.child.kill('SIGTERM');
      const force = setTimeout(() => lb.child.kill('SIGKILL'), 5000);
      await lb.exited;
      clearTimeout(force);
    }
    await Promise.all(instances.map((instance) => instance.exited));
    rmSync(dir, { recursive: true, force: true });
  }
}
