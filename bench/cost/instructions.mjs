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
for (const [i, variant] of variants.entries()) {
  const added =
    bare === undefined ? '' : ` (${counts[i] - bare >= 0 ? '+' : ''}${Math.round(counts[i] - bare)})`;
  console.log(`${framework} ${variant}: ${Math.round(counts[i])} instructions/request${added}`);
}
