// InFlight knows every kind of connection a server accepts: TLS sockets, HTTP/2 sessions and streams, upgraded sockets, sockets accepted before attach.
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createSecureServer, connect as http2Connect } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { type AnyServer, type ConnectionState, InFlight } from '@lbkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { testCertificate } from '../../../test/helpers/tls.js';

const cert = testCertificate();
const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0).reverse()) fn();
});

async function listen(server: AnyServer): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => {
    server.close();
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
  return (server.address() as AddressInfo).port;
}

function states(inFlight: InFlight): ConnectionState[] {
  const all: ConnectionState[] = [];
  inFlight.forEachConnection((_connection, _requests, state) => all.push(state));
  return all;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}

function tls(port: number, alpn: string[]): Promise<Socket> {
  const socket = tlsConnect({
    port,
    host: '127.0.0.1',
    servername: 'localhost',
    ca: cert.cert,
    ALPNProtocols: alpn,
  });
  cleanup.push(() => socket.destroy());
  return once(socket, 'secureConnect').then(() => socket);
}

describe('InFlight connection state', () => {
  it('counts a TLS socket of an https server once, as its handshake and then as an http1 connection', async () => {
    const inFlight = new InFlight();
    const held: Array<() => void> = [];
    const server = createHttpsServer(cert, (_req, res) => held.push(() => res.end('ok')));
    inFlight.attach(server);
    const port = await listen(server);

    const raw = tcpConnect(port, '127.0.0.1');
    cleanup.push(() => raw.destroy());
    await until(() => inFlight.connections === 1);
    expect(states(inFlight).map((s) => s.kind)).toEqual(['handshake']);
    raw.destroy();
    await until(() => inFlight.connections === 0);

    const socket = await tls(port, ['http/1.1']);
    await until(() => states(inFlight).some((s) => s.kind === 'http1'));
    expect(inFlight.connections).toBe(1);
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await until(() => held.length === 1);
    expect(states(inFlight)).toMatchObject([{ kind: 'http1', server, requests: 1, pipelined: false }]);
    expect(inFlight.requestsOf([server])).toBe(1);
    expect(inFlight.connectionsOf([server])).toBe(1);
    held[0]?.();
    await until(() => inFlight.requests === 0);
    socket.destroy();
    await until(() => inFlight.connections === 0);
  });

  it('knows HTTP/2 sessions with their streams, and HTTP/1 TLS sockets of an allowHTTP1 server, by server', async () => {
    const inFlight = new InFlight();
    const held: Array<() => void> = [];
    const server = createSecureServer({ ...cert, allowHTTP1: true }, (_req, res) =>
      held.push(() => res.end('ok')),
    );
    const other = createHttpServer();
    inFlight.attach(server);
    inFlight.attach(other);
    const port = await listen(server);

    const session = http2Connect(`https://localhost:${port}`, { ca: cert.cert });
    cleanup.push(() => session.destroy());
    const streams = [1, 2].map(() => session.request({ ':path': '/' }).resume());
    const http1 = await tls(port, ['http/1.1']);
    http1.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await until(() => held.length === 3);

    const kinds = states(inFlight).map((s) => [s.kind, s.requests]);
    expect(kinds).toContainEqual(['h2', 2]);
    expect(kinds).toContainEqual(['http1', 1]);
    expect(inFlight.connections).toBe(2);
    expect(inFlight.requestsOf([server])).toBe(3);
    expect(inFlight.requestsOf([other])).toBe(0);
    expect(inFlight.connectionsOf([other])).toBe(0);
    for (const finish of held.splice(0)) finish();
    await Promise.all(streams.map((stream) => once(stream, 'end')));
    await until(() => inFlight.requests === 0);
  });

  it('marks a socket handed to an upgrade listener as upgraded, and adds no upgrade listener of its own', async () => {
    const inFlight = new InFlight();
    const server = createHttpServer();
    inFlight.attach(server);
    expect(server.listenerCount('upgrade')).toBe(0);
    server.on('upgrade', (_req, socket: Socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (data) => socket.write(data));
      socket.on('end', () => socket.end());
    });
    const port = await listen(server);

    const client = tcpConnect(port, '127.0.0.1');
    cleanup.push(() => client.destroy());
    client.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
    await once(client, 'data');
    expect(states(inFlight)).toMatchObject([{ kind: 'upgraded', server, requests: 0 }]);
    expect(inFlight.requests).toBe(0);
    client.destroy();
    await until(() => inFlight.connections === 0);
  });

  it('learns sockets accepted before attach when they carry a request, and counts the idle ones as unseen', async () => {
    const inFlight = new InFlight();
    const held: Array<() => void> = [];
    const server = createHttpServer((_req, res) => held.push(() => res.end('ok')));
    const port = await listen(server);
    const idle = tcpConnect(port, '127.0.0.1');
    const busy = tcpConnect(port, '127.0.0.1');
    cleanup.push(
      () => idle.destroy(),
      () => busy.destroy(),
    );
    await Promise.all([once(idle, 'connect'), once(busy, 'connect')]);
    await until(() => (server as unknown as { _connections: number })._connections === 2);

    inFlight.attach(server);
    expect(inFlight.connections).toBe(0);
    expect(await inFlight.unseenOf(server)).toBe(2);
    busy.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => held.length === 1);
    expect(states(inFlight)).toMatchObject([{ kind: 'http1', server, requests: 1 }]);
    expect(await inFlight.unseenOf(server)).toBe(1);

    const attachedFirst = createHttpServer();
    inFlight.attach(attachedFirst);
    await listen(attachedFirst);
    expect(await inFlight.unseenOf(attachedFirst)).toBe(0);
    held[0]?.();
  });
});
