// A/B of one bench/cost variant between two built trees of this repository, by CPU profile: the share of the server's
// busy (non-idle) time spent in @lbkit/core's request tracking (stacks through in-flight.js, tracked-connection.js or
// server-listeners.js), rounds interleaved. On a noisy machine this share moves far less than req/s or CPU per request.
// node bench/cost/profile-ab.mjs <variant> <rounds> <treeA> <treeB>   (FRAMEWORK=express for Express)
import { fork, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [variant = 'shutdown', rounds = '3', ...trees] = process.argv.slice(2);
const framework = process.env.FRAMEWORK ?? 'fastify';
async function once(tree) {
  const dir = join(tmpdir(), 'lbkit-profile-ab');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const root = `${tree}/bench/cost`;
  const child = fork(`${root}/server.mjs`, [], {
    cwd: root,
    env: { ...process.env, FRAMEWORK: framework, VARIANT: variant },
    execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=50'],
  });
  const port = await new Promise((r) => child.once('message', (m) => r(m.port)));
  const ac = createRequire(`${root}/run.mjs`).resolve('autocannon/autocannon.js');
  const run = (s) =>
    new Promise((r) => {
      let o = '';
      const c = spawn(
        process.execPath,
        [ac, '-c', '50', '-d', String(s), '-j', `http://127.0.0.1:${port}/hello`],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      c.stdout.on('data', (d) => (o += d));
      c.on('exit', () => r(JSON.parse(o)));
    });
  await run(1);
  child.send('start');
  const n = (await run(4)).requests.total;
  const cpu = await new Promise((r) => {
    child.once('message', r);
    child.send('stop');
  });
  await new Promise((r) => child.once('exit', r));
  const p = JSON.parse(
    readFileSync(`${dir}/${readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))}`, 'utf8'),
  );
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const parent = new Map();
  for (const x of p.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  let busy = 0,
    track = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i];
    const dt = p.timeDeltas[i] ?? 0;
    if (byId.get(id).callFrame.functionName === '(idle)') continue;
    busy += dt;
    for (let x = id; x !== undefined; x = parent.get(x)) {
      if (/core\/dist\/(in-flight|tracked-connection|server-listeners)\.js/.test(byId.get(x).callFrame.url)) {
        track += dt;
        break;
      }
    }
  }
  return { share: (100 * track) / busy, usPerReq: track / n, cpuUs: cpu.cpuUs / n };
}
const out = Object.fromEntries(trees.map((t) => [t, []]));
for (let r = 0; r < Number(rounds); r++) for (const t of trees) out[t].push(await once(t));
for (const [t, rows] of Object.entries(out))
  console.log(
    t,
    rows
      .map(
        (x) =>
          `${x.share.toFixed(2)}% (${x.usPerReq.toFixed(2)} µs/req sampled, server CPU ${x.cpuUs.toFixed(1)} µs/req)`,
      )
      .join(' | '),
  );
