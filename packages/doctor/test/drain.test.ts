// The --pid drain check: readiness that stays 200, keep-alive kept during the drain, a listener closed before readiness fails: each fails.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { runDoctor } from '../src/index.js';

// A node:http server whose SIGTERM handler closes the listener after `delayMs`; with `fails-readiness`
// its readiness answers 503 (with Retry-After) meanwhile, yet keep-alive stays on.
const SCRIPT = `
const http = require('node:http');
const [delayMs, mode] = process.argv.slice(1);
let draining = false;
const server = http.createServer((req, res) => {
  const failing = draining && mode === 'fails-readiness' && req.url === '/health/ready';
  res.writeHead(failing ? 503 : 200, { 'content-type': 'application/health+json', ...(failing ? { 'retry-after': '5' } : {}) });
  res.end(failing ? '{"status":"fail"}' : '{"status":"pass"}');
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => {
  draining = true;
  setTimeout(() => { server.closeAllConnections(); server.close(); }, Number(delayMs));
});
`;

const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

async function startServer(
  delayMs: number,
  mode = 'stays-ready',
): Promise<{ url: string; pid: number; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, ['-e', SCRIPT, String(delayMs), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const exited = once(child, 'exit');
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${Number(chunk.toString().trim())}`, pid: child.pid!, exited };
}

const quick = { maxWaitS: 0.3, probeIntervalS: 1, drainTimeoutS: 10, whoami: false, metrics: false } as const;

describe('runDoctor with pid', () => {
  it('fails a drain whose readiness stays 200 for a whole probe interval', async () => {
    const server = await startServer(1500);
    const findings = await runDoctor(server.url, { ...quick, pid: server.pid });
    const readiness = findings.find((f) => f.id === 'drain.readiness');
    expect(readiness?.status).toBe('fail');
    expect(readiness?.message).toContain('still 200');
    await server.exited;
    expect(findings.find((f) => f.id === 'drain.exit')?.status).toBe('pass');
  });

  it('fails a drain whose responses keep the connection alive', async () => {
    const server = await startServer(1000, 'fails-readiness');
    const findings = await runDoctor(server.url, { ...quick, pid: server.pid });
    expect(findings.find((f) => f.id === 'drain.readiness')?.status).toBe('pass');
    expect(findings.find((f) => f.id === 'drain.retry-after')?.status).toBe('pass');
    const connection = findings.find((f) => f.id === 'drain.connection-close');
    expect(connection?.status).toBe('fail');
    expect(connection?.message).toContain('keep-alive');
  });

  it('fails a drain that closes the listener before readiness ever fails', async () => {
    const server = await startServer(0);
    const findings = await runDoctor(server.url, { ...quick, pid: server.pid });
    expect(findings.find((f) => f.id === 'drain.readiness')?.message).toContain('readiness never failing');
    expect(findings.find((f) => f.id === 'drain.readiness')?.status).toBe('fail');
  });
});
