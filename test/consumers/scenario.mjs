// What every consumer app must do: probes, client IP behind a trusted proxy, one session seen by two
// processes on one Redis, and a drain on SIGTERM that finishes the request in flight and exits 0.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const FORWARDED = '203.0.113.7';

/** GET on a fresh connection (no keep-alive, so the drain has nothing idle to wait for). */
function get(port, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Starts one app process and resolves once it printed its port (rejects with its stderr otherwise). */
function startApp(dir, main, env) {
  const child = spawn(process.execPath, [main], { cwd: dir, env: { ...process.env, ...env, PORT: '0' } });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const app = { child, exited, stderr: () => stderr.trim().split('\n').slice(0, 6).join(' | ') };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no port printed within 15 s: ${app.stderr()}`)), 15_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const line = /\{"listening":(\d+)\}/.exec(stdout);
      if (line) {
        clearTimeout(timer);
        resolve({ ...app, port: Number(line[1]) });
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`exited (${signal ?? code}) before listening: ${app.stderr()}`));
    });
  });
}

function expectEqual(problems, what, actual, expected) {
  if (actual !== expected)
    problems.push(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

async function exitOf(app, what, problems) {
  const result = await Promise.race([
    app.exited,
    sleep(10_000, { code: 'none', signal: 'still running after 10 s' }),
  ]);
  if (result.code !== 0)
    problems.push(`${what} after SIGTERM: exit ${result.signal ?? result.code} ${app.stderr()}`);
}

/** Runs the scenario against `node <main>` in `dir`; returns the problems found (empty: pass). */
export async function runScenario(dir, main, { redisUrl }) {
  const problems = [];
  const env = { REDIS_URL: redisUrl, SESSION_SECRET: 'a-session-secret-of-at-least-32-characters' };
  const apps = [];
  try {
    const a = await startApp(dir, main, { ...env, TRUST: 'loopback' });
    apps.push(a);
    const b = await startApp(dir, main, { ...env, TRUST: '192.0.2.0/24' });
    apps.push(b);

    expectEqual(problems, 'GET /health/ready', (await get(a.port, '/health/ready')).status, 200);
    expectEqual(problems, 'GET /health/live', (await get(a.port, '/health/live')).status, 200);

    const forwarded = { 'x-forwarded-for': FORWARDED };
    const trusted = await get(a.port, '/whoami', forwarded);
    expectEqual(problems, 'client IP behind a trusted proxy', JSON.parse(trusted.body).ip, FORWARDED);
    const untrusted = await get(b.port, '/whoami', forwarded);
    expectEqual(problems, 'client IP from an untrusted peer', JSON.parse(untrusted.body).ip, '127.0.0.1');

    const value = `v${Date.now()}`;
    const written = await get(a.port, `/session/write?value=${value}`);
    const cookie = (written.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
    if (written.status !== 200 || !cookie)
      problems.push(`session write: status ${written.status}, no cookie`);
    const read = await get(b.port, '/session/read', { cookie });
    expectEqual(problems, 'session written by A, read by B', JSON.parse(read.body || '{}').value, value);

    const slow = get(a.port, '/slow?ms=700');
    await sleep(150);
    a.child.kill('SIGTERM');
    await sleep(50);
    expectEqual(
      problems,
      'GET /health/ready while draining',
      (await get(a.port, '/health/ready')).status,
      503,
    );
    const finished = await slow.catch((err) => ({ status: err.message }));
    expectEqual(problems, 'request in flight at SIGTERM', `${finished.status} ${finished.body}`, '200 done');
    await exitOf(a, 'A', problems);
    b.child.kill('SIGTERM');
    await exitOf(b, 'B', problems);
  } catch (err) {
    problems.push(err.message);
  } finally {
    for (const app of apps)
      if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
  }
  return problems;
}
