// HTTPS and HTTP/2 drains, and WebSockets closed with 1001, in child processes with real SIGTERM.
import * as http2 from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { Agent, request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testCertificate } from '../../../test/helpers/tls.js';
import { ensureBuilt, type Fixture, phasesOf, portOf, startFixture } from './child.js';

let running: Fixture[] = [];
const cert = testCertificate();
function start(config: Record<string, unknown>): Fixture {
  const fixture = startFixture('server.mjs', config, { env: { TLS_KEY: cert.key, TLS_CERT: cert.cert } });
  running.push(fixture);
  return fixture;
}

beforeAll(ensureBuilt, 120_000);
afterEach(() => {
  for (const fixture of running) fixture.kill('SIGKILL');
  running = [];
});

function h2request(
  session: http2.ClientHttp2Session,
  path: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path });
    let status = 0;
    let body = '';
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      body += chunk;
    });
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
  });
}

describe('gracefulShutdown on HTTPS, HTTP/2 and WebSockets', () => {
  it('drains HTTPS: in-flight keep-alive requests finish, idle TLS sockets close, exit 0', async () => {
    const fixture = start({ kind: 'https' });
    const port = await portOf(fixture);
    const agent = new Agent({ connect: { ca: cert.cert }, keepAliveTimeout: 30_000 });
    await request(`https://localhost:${port}/`, { dispatcher: agent }).then((r) => r.body.text());
    const idle = tlsConnect({ port, host: '127.0.0.1', servername: 'localhost', ca: cert.cert });
    await new Promise((resolve) => idle.once('secureConnect', resolve));
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));
    const slow = request(`https://localhost:${port}/slow?ms=500`, { dispatcher: agent });
    await fixture.waitFor((e) => e.event === 'request' && e.ms === 500);
    fixture.kill('SIGTERM');
    const response = await slow;
    expect(response.statusCode).toBe(200);
    expect(response.headers.connection).toBe('close');
    await response.body.text();
    await idleClosed;
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
    await agent.close();
  });

  it('drains HTTP/2: GOAWAY reaches the client, open streams finish, exit 0', async () => {
    const fixture = start({ kind: 'http2' });
    const port = await portOf(fixture);
    const session = http2.connect(`https://localhost:${port}`, { ca: cert.cert });
    const goaway = new Promise<number>((resolve) => session.once('goaway', (code) => resolve(code)));
    expect((await h2request(session, '/')).status).toBe(200);
    const slow = h2request(session, '/slow?ms=600');
    await fixture.waitFor((e) => e.event === 'request' && e.ms === 600);
    fixture.kill('SIGTERM');
    expect(await goaway).toBe(http2.constants.NGHTTP2_NO_ERROR);
    const answered = await slow;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.body)).toMatchObject({ ok: true, ms: 600 });
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
    expect(phasesOf(fixture)).toContain('drained');
    session.destroy();
  });

  it('drains HTTP/1.1 clients of an HTTP/2 server with allowHTTP1', async () => {
    const fixture = start({ kind: 'http2', allowHTTP1: true });
    const port = await portOf(fixture);
    const agent = new Agent({ connect: { ca: cert.cert }, keepAliveTimeout: 30_000 });
    const slow = request(`https://localhost:${port}/slow?ms=400`, { dispatcher: agent });
    await fixture.waitFor((e) => e.event === 'request' && e.ms === 400);
    fixture.kill('SIGTERM');
    const response = await slow;
    expect(response.statusCode).toBe(200);
    expect(response.headers.connection).toBe('close');
    await response.body.text();
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
    await agent.close();
  });

  it('sends close code 1001 "going away" to ws clients when the listener closes, not before', async () => {
    const fixture = start({ ws: true, drainDelayMs: 400 });
    const port = await portOf(fixture);
    const client = new WebSocket(`ws://127.0.0.1:${port}/`);
    const messages: string[] = [];
    client.on('message', (data) => messages.push(String(data)));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      client.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    await new Promise((resolve) => client.once('open', resolve));
    fixture.kill('SIGTERM');
    await fixture.waitFor((e) => e.event === 'phase' && e.phase === 'draining');
    // During the drain delay the connection still works both ways.
    client.send('during-delay');
    await expect.poll(() => messages).toContain('echo:during-delay');
    expect(await closed).toEqual({ code: 1001, reason: 'going away' });
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
    expect(phasesOf(fixture)).toContain('drained');
  });

  it('terminates a ws client that never completes the close handshake at drainTimeoutMs, exit 1', async () => {
    const fixture = start({ ws: true, drainTimeoutMs: 400 });
    const port = await portOf(fixture);
    // A raw upgrade that answers nothing: the server's close frame is never acknowledged.
    const { connect } = await import('node:net');
    const socket = connect({ port, host: '127.0.0.1' });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await new Promise((resolve) => socket.once('data', resolve));
    socket.on('data', () => {});
    const closed = new Promise((resolve) => socket.once('close', resolve));
    fixture.kill('SIGTERM');
    await closed;
    expect(await fixture.exited).toEqual({ code: 1, signal: null });
    const forced = fixture.events.find((e) => e.event === 'phase' && e.phase === 'forced');
    expect((forced?.forced as { connections: number } | undefined)?.connections).toBeGreaterThanOrEqual(1);
  });
});
