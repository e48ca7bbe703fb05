// bench/cost instruction counts: the server of bench/cost under valgrind's callgrind, one connection, a fixed number
// of requests after a warm-up; prints instructions per request for each variant and the difference with bare.
// Noise-free where req/s on a shared machine is not (one connection: every request takes the same path).
//   node bench/cost/instructions.mjs fastify bare,shutdown,all   (COST_IR_WARMUP, COST_IR_REQUESTS)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, writeSection } from '../lib/results.mjs';

const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));
const AUTOCANNON = join(
  dirname(createRequire(import.meta.url).resolve('autocannon/package.json')),
  'autocannon.js',
);
const WARMUP = process.env.COST_IR_WARMUP ?? '3000';
const REQUESTS = process.env.COST_IR_REQUESTS ?? '3000';
const [framework = 'fastify', list = 'bare,all'] = process.argv.slice(2);

async function instructionsPerRequest(variant) {
  const dir = mkdtempSync(join(tmpdir(), 'lbkit-cost-ir-'));
  // --predictable: no concurrent compilation or GC threads, so each run takes the same path.
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', `--callgrind-out-file=${dir}/out.%p`, process.execPath, '--predictable', SERVER],
    {
      env: { ...process.env, FRAMEWORK: framework, VARIANT: variant, NODE_ENV: 'production' },
      stdio: ['ignore', 'inherit', 'ignore', 'ipc'],
    },
  );
  try {
    const { port } = await new Promise((resolve) => child.once('message', resolve));
    const load = (count) =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [AUTOCANNON, '-c', '1', '-a', count, '-j', `http://127.0.0.1:${port}/hello`],
          { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1e8 },
        ),
      );
    load(WARMUP);
    execFileSync('callgrind_control', ['-z', String(child.pid)], { stdio: 'ignore' });
    const result = load(REQUESTS);
    execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
    let total = 0;
    for (const file of readdirSync(dir)) {
      const match = readFileSync(join(dir, file), 'utf8').match(/^(?:summary|totals): (\d+)/m);
      total += Number(match?.[1] ?? 0);
    }
    return total / result['2xx'];
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

const variants = list.split(',');
const counts = await Promise.all(variants.map((variant) => instructionsPerRequest(variant)));
const bare = counts[variants.indexOf('bare')];
const rows = [];
for (const [i, variant] of variants.entries()) {
  const delta = bare === undefined ? undefined : Math.round(counts[i] - bare);
  const added = delta === undefined ? '' : ` (${delta >= 0 ? '+' : ''}${delta})`;
  console.log(`${framework} ${variant}: ${Math.round(counts[i])} instructions/request${added}`);
  rows.push(`| ${variant} | ${Math.round(counts[i])} | ${delta === undefined ? '–' : delta} |`);
}
// Written only when asked (COST_IR_WRITE=1), with bare in the list: a partial run leaves RESULTS.md as it is.
if (process.env.COST_IR_WRITE === '1' && bare !== undefined) {
  const command = `COST_IR_WRITE=1 node bench/cost/instructions.mjs ${framework} ${list}`;
  writeSection(
    `cost-instructions-${framework}`,
    `### The kit's own cost, in instructions (${framework === 'fastify' ? 'Fastify 5' : 'Express 5'})

\`${command}\` (after \`npx -y pnpm@10.34.8 build\`; needs valgrind). The server of bench/cost under callgrind,
\`node --predictable\`, one keep-alive connection (every request takes the same path), ${WARMUP} requests of
warm-up, then the instructions of ${REQUESTS} requests counted, per request; *added* is against bare in
the same run. Noise-free on a shared machine, where req/s is not (two runs of bare differ by < 0.5%). Under
valgrind V8 optimises later than at full speed, so absolute counts are high; the differences are what
each layer adds. \`noop-hook\` (an empty onRequest hook) / \`noop-middleware\` and \`constant-header\` (a
hook setting a constant header) are floors: what the framework charges for any hook and any header.

| variant | instructions / request | added |
|---|---:|---:|
${rows.join('\n')}

${machine()}`,
  );
}
