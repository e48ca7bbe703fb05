// The http-terminator migration example drains as http-terminator does, side by side in child processes with a real SIGTERM.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { testCertificate } from '../../../test/helpers/tls.js';
import { ensureBuilt } from './child.js';
import { migrationFile, rawConnection, startApp } from './migration-apps.js';

const example = migrationFile('from-http-terminator.ts');
const anchor = migrationFile('http-terminator-app.mjs');

beforeAll(ensureBuilt, 120_000);

/**
 * When SIGTERM arrives: one keep-alive socket idle, one with a request in flight, one whose response
 * has its headers out; then a new connection once the idle one was closed (the drain is still
 * waiting for the request in flight).
 */
async function cleanDrain(file: URL, tls: boolean) {
  const cert = testCertificate();
  const app = await startApp(file, tls ? { TLS_KEY: cert.key, TLS_CERT: cert.cert } : {});
  const idle = rawConnection(app.port, tls);
  idle.get('/');
  await idle.received(1);
  const inFlight = rawConnection(app.port, tls);
  inFlight.get('/slow?ms=800');
  const streaming = rawConnection(app.port, tls);
  streaming.get('/stream?ms=300');
  await Promise.all([app.printed('request /slow?ms=800'), app.printed('request /stream?ms=300')]);
  app.child.kill('SIGTERM');
  await idle.closed;
  const late = rawConnection(app.port, tls);
  late.get('/late');
  // The next request on the socket whose response had its headers out, as http-terminator's test sends it.
  await streaming.received(1);
  streaming.get('/reuse?ms=100');
  await Promise.all([late.closed, inFlight.closed, streaming.closed]);
  return {
    idle: idle.responses,
    inFlight: inFlight.responses,
    streaming: streaming.responses,
    late: { responses: late.responses, served: app.lines.includes('request /late') },
    exit: await app.exited,
  };
}

/** A request longer than the 1 s termination timeout when SIGTERM arrives. */
async function forcedDrain(file: URL, tls: boolean) {
  const cert = testCertificate();
  const app = await startApp(file, tls ? { TLS_KEY: cert.key, TLS_CERT: cert.cert } : {});
  const stuck = rawConnection(app.port, tls);
  stuck.get('/slow?ms=5000');
  await app.printed('request /slow?ms=5000');
  app.child.kill('SIGTERM');
  await stuck.closed;
  return { responses: stuck.responses, exit: await app.exited };
}

describe('migrating from http-terminator: the README example', () => {
  it('is the code the README shows', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const code = readFileSync(example, 'utf8');
    expect(readme).toContain(code.slice(code.indexOf('\n') + 1));
  });
});

describe.each([
  ['http', false],
  ['https', true],
])('migrating from http-terminator over %s, side by side', (_kind, tls) => {
  let clean: {
    lbkit: Awaited<ReturnType<typeof cleanDrain>>;
    terminator: Awaited<ReturnType<typeof cleanDrain>>;
  };
  let forced: {
    lbkit: Awaited<ReturnType<typeof forcedDrain>>;
    terminator: Awaited<ReturnType<typeof forcedDrain>>;
  };

  beforeAll(async () => {
    const [lbkit, terminator] = await Promise.all([cleanDrain(example, tls), cleanDrain(anchor, tls)]);
    clean = { lbkit, terminator };
    const [lbkitForced, terminatorForced] = await Promise.all([
      forcedDrain(example, tls),
      forcedDrain(anchor, tls),
    ]);
    forced = { lbkit: lbkitForced, terminator: terminatorForced };
  }, 60_000);

  it('answers the keep-alive request in flight at SIGTERM with Connection: close, then closes its socket', () => {
    expect(clean.terminator.inFlight).toEqual([{ status: 200, connection: 'close' }]);
    expect(clean.lbkit.inFlight).toEqual(clean.terminator.inFlight);
  });

  it('lets a response whose headers went out stay keep-alive and closes its socket after the next request, answered with Connection: close', () => {
    expect(clean.terminator.streaming).toEqual([
      { status: 200, connection: 'keep-alive' },
      { status: 200, connection: 'close' },
    ]);
    expect(clean.lbkit.streaming).toEqual(clean.terminator.streaming);
  });

  it('closes the idle keep-alive socket without answering anything more on it', () => {
    expect(clean.terminator.idle).toEqual([{ status: 200, connection: 'keep-alive' }]);
    expect(clean.lbkit.idle).toEqual(clean.terminator.idle);
  });

  it('serves no request on a connection opened during the drain', () => {
    expect(clean.terminator.late).toEqual({ responses: [], served: false });
    expect(clean.lbkit.late).toEqual(clean.terminator.late);
  });

  it('exits 0 after a clean drain, as the app calling process.exit(0) after terminate()', () => {
    expect(clean.terminator.exit).toEqual({ code: 0, signal: null });
    expect(clean.lbkit.exit).toEqual(clean.terminator.exit);
  });

  it('cuts a request still running at gracefulTerminationTimeout (drainTimeoutMs), then exits 1 where the terminator app exits 0', () => {
    expect(forced.terminator.responses).toEqual([]);
    expect(forced.lbkit.responses).toEqual([]);
    expect(forced.terminator.exit).toEqual({ code: 0, signal: null });
    expect(forced.lbkit.exit).toEqual({ code: 1, signal: null });
  });
});
