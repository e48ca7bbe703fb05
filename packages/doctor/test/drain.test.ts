// The --pid drain check: a drain that keeps readiness at 200 fails, a drain that closes the listener at once fails.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { runDoctor } from '../src/index.js';

// A node:http server whose SIGTERM handler closes the listener after `delayMs` without failing readiness.
const SCRIPT = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/health+json' });
  res.end('{"status":"pass"}');
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => setTimeout(() => { server.closeAllConnections(); server.close(); }, Number(process.argv[1])));
`;

const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

async function startServer(delayMs: number): Promise<{ url: string; pid: number; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, ['-e', SCRIPT, String(delayMs)], {
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

  it('fails a drain that closes the listener before readiness ever fails', async () => {
    const server = await startServer(0);
    const findings = await runDoctor(server.url, { ...quick, pid: server.pid });
    expect(findings.find((f) => f.id === 'drain.readiness')?.message).toContain('readiness never failing');
    expect(findings.find((f) => f.id === 'drain.readiness')?.status).toBe('fail');
  });
});
