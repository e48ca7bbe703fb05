// The terminus migration example shuts down as @godaddy/terminus does, side by side in child processes with a real SIGTERM.
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProjects } from './child.js';
import { migrationFile, rawConnection, startApp } from './migration-apps.js';

const example = migrationFile('from-terminus-shutdown.ts');
const anchor = migrationFile('terminus-shutdown-app.mjs');

beforeAll(() => buildProjects(['packages/shutdown', 'packages/health']), 120_000);

/** One GET on a connection of its own (Connection: close): status and body. */
function getOnce(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).once('error', reject);
  });
}

/**
 * One keep-alive socket idle and one with a request in flight that outlasts the 1 s delay when
 * SIGTERM arrives; during the delay, the health check and a plain request on new connections.
 */
async function cleanShutdown(file: URL) {
  const app = await startApp(file);
  const idle = rawConnection(app.port, false);
  idle.get('/');
  await idle.received(1);
  const inFlight = rawConnection(app.port, false);
  inFlight.get('/slow?ms=1500');
  await app.printed('request /slow?ms=1500');
  app.child.kill('SIGTERM');
  // Both flip their state when the signal is handled; ask until the child has handled it.
  let probe = await getOnce(app.port, '/healthcheck');
  for (let i = 0; i < 50 && probe.status === 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    probe = await getOnce(app.port, '/healthcheck');
  }
  const duringDelay = rawConnection(app.port, false);
  duringDelay.get('/during-delay');
  await duringDelay.received(1);
  duringDelay.destroy();
  await Promise.all([idle.closed, inFlight.closed]);
  const exit = await app.exited;
  return {
    probe: { status: probe.status, body: JSON.parse(probe.body) as unknown },
    duringDelay: duringDelay.responses,
    idle: idle.responses,
    inFlight: inFlight.responses,
    lines: app.lines.filter((line) => ['failure-during-shutdown', 'onSignal', 'onShutdown'].includes(line)),
    exit,
  };
}

/** A request longer than the 1 s timeout when the delay ends. */
async function forcedShutdown(file: URL) {
  const app = await startApp(file);
  const stuck = rawConnection(app.port, false);
  stuck.get('/slow?ms=8000');
  await app.printed('request /slow?ms=8000');
  app.child.kill('SIGTERM');
  await stuck.closed;
  return { responses: stuck.responses, exit: await app.exited, lines: app.lines };
}

describe('migrating from @godaddy/terminus (shutdown): the README example', () => {
  it('is the code the README shows', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const code = readFileSync(example, 'utf8');
    expect(readme).toContain(code.slice(code.indexOf('\n') + 1));
  });
});

describe('migrating from @godaddy/terminus (shutdown), side by side', () => {
  let clean: {
    lbkit: Awaited<ReturnType<typeof cleanShutdown>>;
    terminus: Awaited<ReturnType<typeof cleanShutdown>>;
  };
  let forced: {
    lbkit: Awaited<ReturnType<typeof forcedShutdown>>;
    terminus: Awaited<ReturnType<typeof forcedShutdown>>;
  };

  beforeAll(async () => {
    const [lbkit, terminus] = await Promise.all([cleanShutdown(example), cleanShutdown(anchor)]);
    clean = { lbkit, terminus };
    const [lbkitForced, terminusForced] = await Promise.all([
      forcedShutdown(example),
      forcedShutdown(anchor),
    ]);
    forced = { lbkit: lbkitForced, terminus: terminusForced };
  }, 60_000);

  it('fails the health check with 503 { status: "error" } from SIGTERM on, calling the failure hook', () => {
    expect(clean.terminus.probe).toEqual({ status: 503, body: { status: 'error' } });
    expect(clean.lbkit.probe).toEqual(clean.terminus.probe);
    expect(clean.terminus.lines).toContain('failure-during-shutdown');
    expect(clean.lbkit.lines).toContain('failure-during-shutdown');
  });

  it('serves requests during the beforeShutdown delay (drainDelayMs)', () => {
    expect(clean.terminus.duringDelay.map((r) => r.status)).toEqual([200]);
    expect(clean.lbkit.duringDelay.map((r) => r.status)).toEqual([200]);
  });

  it('answers them with Connection: close where terminus keeps them alive', () => {
    expect(clean.terminus.duringDelay).toEqual([{ status: 200, connection: 'keep-alive' }]);
    expect(clean.lbkit.duringDelay).toEqual([{ status: 200, connection: 'close' }]);
  });

  it('answers the keep-alive request in flight when the delay ends, then closes its socket', () => {
    expect(clean.terminus.inFlight.map((r) => r.status)).toEqual([200]);
    expect(clean.lbkit.inFlight.map((r) => r.status)).toEqual([200]);
  });

  it('closes the idle keep-alive socket without answering anything more on it', () => {
    expect(clean.terminus.idle.map((r) => r.status)).toEqual([200]);
    expect(clean.lbkit.idle).toEqual(clean.terminus.idle);
  });

  it('runs onSignal, then onShutdown, after the drain', () => {
    const hooks = (lines: string[]) => lines.filter((line) => line !== 'failure-during-shutdown');
    expect(hooks(clean.terminus.lines)).toEqual(['onSignal', 'onShutdown']);
    expect(hooks(clean.lbkit.lines)).toEqual(hooks(clean.terminus.lines));
  });

  it('ends by the signal it received (useExit0: false, exitBySignal: true)', () => {
    expect(clean.terminus.exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(clean.lbkit.exit).toEqual(clean.terminus.exit);
  });

  it('cuts a request still running at timeout (drainTimeoutMs), then exits 1 and logs it where terminus ends by SIGTERM', () => {
    expect(forced.terminus.responses).toEqual([]);
    expect(forced.lbkit.responses).toEqual([]);
    expect(forced.terminus.exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(forced.lbkit.exit).toEqual({ code: 1, signal: null });
    expect(forced.lbkit.lines.some((line) => line.startsWith('logger shutdown: forced'))).toBe(true);
  });
});
