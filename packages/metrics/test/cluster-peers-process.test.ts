// The peer directory in a process of its own: its socket never keeps the process alive, and is removed at exit.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
let dir: string;

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/metrics'], {
    cwd: root,
    stdio: 'pipe',
  });
}, 120_000);
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('a process whose only handle is its peer socket exits by itself, and its socket is gone', async () => {
  dir = mkdtempSync(join(tmpdir(), 'lbkit-peers-'));
  const script = `
    import { readdirSync } from 'node:fs';
    import { createRequire } from 'node:module';
    const { createMetrics } = await import(${JSON.stringify(new URL('packages/metrics/dist/index.js', `file://${root}`).href)});
    const { Registry } = createRequire(${JSON.stringify(join(root, 'package.json'))})('prom-client');
    createMetrics({ registry: new Registry(), cluster: { peers: 'directory', dir: ${JSON.stringify(dir)}, name: 'api', id: '0' } });
    console.log(JSON.stringify(readdirSync(${JSON.stringify(dir)})));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (out += chunk));
  // Kept alive by the socket, it would be killed here and the test fails on the signal.
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(killer);
  expect({ code, signal }, out).toEqual({ code: 0, signal: null });
  expect(JSON.parse(out.trim())).toEqual([`api.0.${child.pid}.sock`]);
  expect(readdirSync(dir)).toEqual([]);
});
