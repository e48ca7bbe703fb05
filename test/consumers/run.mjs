// Consumer smoke projects: the packed tarballs installed with plain npm into fresh projects outside the
// workspace (ESM, CommonJS, TypeScript nodenext and bundler, Express 4 and 5, Fastify 5), type-checked
// with skipLibCheck off and run against one private redis-server. One PASS/FAIL line per project.
import { execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { kinds, unusedPeers } from './kinds.mjs';
import { packPublicPackages } from './pack.mjs';
import { runScenario } from './scenario.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const apps = fileURLToPath(new URL('./apps/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'lbkit-consumers-'));
const only = process.argv.slice(2);
const CONCURRENCY = 3;

/** Runs a command; resolves with { ok, output } (never rejects), killed at `timeoutMs`. */
function run(command, args, cwd, timeoutMs) {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      const killed = err?.killed ? `timed out after ${timeoutMs / 1000} s; ` : '';
      resolve({ ok: !err, output: `${killed}${stdout}\n${stderr}`.trim() });
    });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(work, 'redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 50; i++) {
    if ((await run('redis-cli', ['-p', String(port), 'ping'], work, 2000)).output === 'PONG')
      return { child, port };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not answer PING within 5 s');
}

/** The lines that say why a command failed: npm's ERR lines, tsc's error lines, else the first lines. */
function reasonOf(output) {
  const lines = output.split('\n').filter((line) => /npm (error|ERR!)|error TS\d+|Error:/.test(line));
  return (lines.length > 0 ? lines : output.split('\n')).slice(0, 8).map((line) => line.trim());
}

function writeProject(kind, dir, tarballs) {
  const local = Object.fromEntries(Object.entries(tarballs).map(([name, path]) => [name, `file:${path}`]));
  const manifest = {
    name: `lbkit-consumer-${kind.name}`,
    version: '1.0.0',
    private: true,
    ...(kind.type ? { type: kind.type } : {}),
    dependencies: { ...Object.fromEntries(kind.lbkit.map((name) => [name, local[name]])), ...kind.deps },
    devDependencies: kind.devDeps ?? {},
    // The @lbkit packages the named ones depend on come from the same tarballs, never the registry.
    overrides: local,
  };
  mkdirSync(dirname(join(dir, kind.file)), { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  if (kind.tsconfig) writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(kind.tsconfig, null, 2)}\n`);
  copyFileSync(join(apps, kind.app), join(dir, kind.file));
}

async function checkProject(kind, tarballs, redisUrl) {
  const dir = join(work, kind.name);
  mkdirSync(dir);
  writeProject(kind, dir, tarballs);
  const npm = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
  const install = await run('npm', npm, dir, 240_000);
  if (!install.ok) return [`npm install failed`, ...reasonOf(install.output)];
  const problems = [];
  const installed = unusedPeers.filter((name) => existsSync(join(dir, 'node_modules', name)));
  if (installed.length > 0) problems.push(`installed although unused: ${installed.join(', ')}`);
  if (kind.tsconfig) {
    // tsc emits even when it reports errors, so the app still runs and both verdicts are known.
    const tsc = await run(
      process.execPath,
      [join(dir, 'node_modules/typescript/bin/tsc'), '-p', '.'],
      dir,
      120_000,
    );
    if (!tsc.ok) problems.push('tsc (skipLibCheck: false) failed', ...reasonOf(tsc.output));
    const main = join(dir, kind.main);
    if (kind.expectOutput && existsSync(main) && !kind.expectOutput.test(readFileSync(main, 'utf8'))) {
      problems.push(`${kind.main} is not the expected module format`);
    }
  }
  const scenario = await runScenario(dir, kind.main, { redisUrl });
  return [...problems, ...scenario.map((problem) => `run: ${problem}`)];
}

async function main() {
  const results = [];
  const started = Date.now();
  const packages = readdirSync(join(root, 'packages')).map((name) => join('packages', name));
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const build = await run(process.execPath, [tsc, '-b', ...packages], root, 300_000);
  if (!build.ok) {
    console.log(`FAIL build: tsc -b packages/* failed\n    ${reasonOf(build.output).join('\n    ')}`);
    return 1;
  }
  mkdirSync(join(work, 'tarballs'));
  const { tarballs, problems } = packPublicPackages(root, join(work, 'tarballs'));
  results.push({ name: 'tarballs', problems: problems.map((p) => `not needed by a user: ${p}`) });
  report(results.at(-1));

  const redis = await startRedis();
  try {
    const queue = kinds.filter((kind) => only.length === 0 || only.includes(kind.name));
    const workers = Array.from({ length: CONCURRENCY }, async () => {
      for (let kind = queue.shift(); kind; kind = queue.shift()) {
        const problems = await checkProject(kind, tarballs, `redis://127.0.0.1:${redis.port}`).catch(
          (err) => [`driver error: ${err.stack}`],
        );
        results.push({ name: kind.name, problems });
        report(results.at(-1));
      }
    });
    await Promise.all(workers);
  } finally {
    redis.child.kill('SIGKILL');
  }
  const failed = results.filter((result) => result.problems.length > 0).length;
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(
    `consumers: ${results.length - failed} passed, ${failed} failed (node ${process.version}, ${seconds} s)`,
  );
  return failed > 0 ? 1 : 0;
}

function report({ name, problems }) {
  if (problems.length === 0) return console.log(`PASS ${name}`);
  console.log(`FAIL ${name}: ${problems[0]}`);
  for (const line of problems.slice(1)) console.log(`    ${line}`);
}

main()
  .then((code) => {
    if (code === 0 || process.env.LBKIT_KEEP_CONSUMERS !== '1')
      rmSync(work, { recursive: true, force: true });
    else console.log(`projects kept in ${work}`);
    process.exitCode = code;
  })
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
