// Drains of a node:http server in a child process, driven by real SIGTERM/SIGINT.
import { connect, type Socket } from 'node:net';
import { Agent, request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, type Fixture, phasesOf, portOf, startFixture } from './child.js';

let running: Fixture[] = [];
function start(config: Record<string, unknown>): Fixture {
  const fixture = startFixture('server.mjs', config);
  running.push(fixture);
  return fixture;
}

beforeAll(ensureBuilt, 120_000);
afterEach(() => {
  for (const fixture of running) fixture.kill('SIGKILL');
  running = [];
});

/** Sends one raw HTTP/1.1 request on `socket` and resolves with the raw response head and body. */
function rawRequest(socket: Socket, path: string): Promise<string> {
  const response = readResponse(socket);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: fixture\r\n\r\n`);
  return response;
}

/** Resolves with the next raw response (head and body) read from `socket`. */
function readResponse(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const onData = (chunk: Buffer): void => {
      data += chunk.toString();
      const [head, body = ''] = data.split('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(head ?? '');
      if (length && body.length >= Number(length[1])) {
        socket.off('data', onData);
        resolve(data);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('gracefulShutdown on node:http with real signals', () => {
  it('lets in-flight keep-alive requests finish during SIGTERM, answers them with Connection: close, exits 0', async () => {
    const fixture = start({ drainDelayMs: 0 });
    const port = await portOf(fixture);
    const agent = new Agent({ connections: 3, keepAliveTimeout: 30_000 });
    // Warm three keep-alive connections first, so the slow requests run on reused sockets.
    await Promise.all(
      [0, 1, 2].map(() =>
        request(`http://127.0.0.1:${port}/`, { dispatcher: agent }).then((r) => r.body.text()),
      ),
    );
    const pending = [0, 1, 2].map(() =>
      request(`http://127.0.0.1:${port}/slow?ms=600`, { dispatcher: agent }),
    );
    await fixture.waitFor((e) => e.event === 'request' && e.ms === 600);
    while (fixture.events.filter((e) => e.event === 'request' && e.ms === 600).length < 3) {
      await new Promise((r) => setTimeout(r, 10));
    }
    fixture.kill('SIGTERM');
    const responses = await Promise.all(pending);
    for (const response of responses) {
      expect(response.statusCode).toBe(200);
      expect(response.headers.connection).toBe('close');
      expect(await response.body.json()).toMatchObject({ ok: true, ms: 600 });
    }
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
    expect(phasesOf(fixture)).toEqual([
      'draining',
      'delay-elapsed',
      'listeners-closed',
      'drained',
      'stopped',
    ]);
    await agent.close();
  });

  it('closes idle keep-alive sockets once the listener closes, without waiting for keepAliveTimeout', async () => {
    const fixture = start({ drainDelayMs: 0 });
    const port = await portOf(fixture);
    const socket = await openSocket(port);
    const response = await rawRequest(socket, '/');
    expect(response).toMatch(/connection: keep-alive/i);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    fixture.kill('SIGTERM');
    await closed;
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses new connections once the listener has closed, while in-flight work still drains', async () => {
    const fixture = start({ drainDelayMs: 0 });
    const port = await portOf(fixture);
    const slow = request(`http://127.0.0.1:${port}/slow?ms=1500`);
    await fixture.waitFor((e) => e.event === 'request' && e.ms === 1500);
    fixture.kill('SIGTERM');
    await fixture.waitFor((e) => e.event === 'phase' && e.phase === 'listeners-closed');
    await expect(openSocket(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect((await slow).statusCode).toBe(200);
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
  });

  it('keeps serving during the drain delay, with Connection: close so balancers retire pooled sockets', async () => {
    const fixture = start({ drainDelayMs: 800 });
    const port = await portOf(fixture);
    const agent = new Agent({ keepAliveTimeout: 30_000 });
    await request(`http://127.0.0.1:${port}/`, { dispatcher: agent }).then((r) => r.body.text());
    fixture.kill('SIGTERM');
    await fixture.waitFor((e) => e.event === 'phase' && e.phase === 'draining');
    const during = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent });
    expect(during.statusCode).toBe(200);
    expect(during.headers.connection).toBe('close');
    await during.body.text();
    expect(phasesOf(fixture)).not.toContain('listeners-closed');
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
    await agent.close();
  });

  it('serves a request whose first bytes arrived on an idle socket before the listener closed', async () => {
    const fixture = start({ drainDelayMs: 300, keepAliveDuringDelay: true });
    const port = await portOf(fixture);
    const socket = await openSocket(port);
    await rawRequest(socket, '/');
    fixture.kill('SIGTERM');
    await fixture.waitFor((e) => e.event === 'phase' && e.phase === 'draining');
    // Half a request line: the socket is no longer idle, so the listener close must not cut it.
    socket.write('GET /slow?ms=50 HT');
    await fixture.waitFor((e) => e.event === 'phase' && e.phase === 'listeners-closed');
    const response = readResponse(socket);
    socket.write('TP/1.1\r\nHost: fixture\r\n\r\n');
    const text = await response;
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text).toMatch(/connection: close/i);
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
  });

  it('forces at drainTimeoutMs: the slow request is cut and the process exits 1', async () => {
    const fixture = start({ drainDelayMs: 0, drainTimeoutMs: 300 });
    const port = await portOf(fixture);
    const slow = request(`http://127.0.0.1:${port}/slow?ms=10000`).then(
      () => 'answered',
      () => 'cut',
    );
    await fixture.waitFor((e) => e.event === 'request' && e.ms === 10000);
    fixture.kill('SIGTERM');
    expect(await slow).toBe('cut');
    expect(await fixture.exited).toEqual({ code: 1, signal: null });
    const forced = fixture.events.find((e) => e.event === 'phase' && e.phase === 'forced');
    expect(forced?.forced).toMatchObject({ requests: 1 });
  });

  it('exits at once with code 1 on a second signal', async () => {
    const fixture = start({ drainDelayMs: 20_000 });
    await portOf(fixture);
    fixture.kill('SIGTERM');
    await fixture.waitFor((e) => e.event === 'phase' && e.phase === 'draining');
    fixture.kill('SIGINT');
    expect(await fixture.exited).toEqual({ code: 1, signal: null });
    expect(phasesOf(fixture)).toEqual(['draining']);
  });

  it('drains on SIGINT like on SIGTERM', async () => {
    const fixture = start({});
    await portOf(fixture);
    fixture.kill('SIGINT');
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
    expect(fixture.events.find((e) => e.event === 'result')).toMatchObject({ reason: 'SIGINT', exitCode: 0 });
  });

  it('with exit: false resolves with the result and leaves nothing that keeps the process alive', async () => {
    const fixture = start({ exit: false });
    await portOf(fixture);
    fixture.kill('SIGTERM');
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
    expect(fixture.events.find((e) => e.event === 'result')).toMatchObject({
      reason: 'SIGTERM',
      exitCode: 0,
      forced: false,
    });
  });
});
