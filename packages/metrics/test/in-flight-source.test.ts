// The open-connections and in-flight gauges read the numbers the shutdown drain reads: InFlight's.
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { createMetrics } from '@lbkit/metrics';
import { gracefulShutdown, type ShutdownPhaseEvent } from '@lbkit/shutdown';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSamples, sampleValue } from './scrape.js';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

async function listening(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => {
    server.close();
    server.closeAllConnections();
  });
  return (server.address() as AddressInfo).port;
}

function client(port: number, bytes: string): Socket {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.write(bytes);
  cleanup.push(() => socket.destroy());
  return socket;
}

async function gauges(registry: Registry): Promise<{ connections: number; requests: number }> {
  const samples = parseSamples(await registry.metrics());
  return {
    connections: sampleValue(samples, 'lbkit_connections_open') ?? Number.NaN,
    requests: sampleValue(samples, 'lbkit_requests_in_flight') ?? Number.NaN,
  };
}

describe('metrics and the shutdown drain read one source', () => {
  it('reports the connections and requests the drain sees, and the drain forces only its own servers', async () => {
    const registry = new Registry();
    const lifecycle = new Lifecycle();
    createMetrics({ registry, lifecycle });
    const held: ServerResponse[] = [];
    const drained = createServer((_req, res) => held.push(res));
    // An upgraded socket that never closes: a connection without a request.
    drained.on('upgrade', (_req, socket: Socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\n\r\n'));
    const other = createServer((_req, res) => held.push(res));
    lifecycle.inFlight.attach(other);
    const shutdown = gracefulShutdown(drained, { lifecycle, signals: [], exit: false, ipc: false });
    const port = await listening(drained);
    const otherPort = await listening(other);

    client(port, 'GET /a HTTP/1.1\r\nHost: x\r\n\r\n');
    client(port, 'GET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    const upgraded = client(port, 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: raw\r\nConnection: Upgrade\r\n\r\n');
    client(otherPort, 'GET /c HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(upgraded, 'data');
    while (held.length < 3) await new Promise((r) => setTimeout(r, 5));

    const before = await gauges(registry);
    expect(before).toEqual({ connections: 4, requests: 3 });
    const phases: ShutdownPhaseEvent[] = [];
    shutdown.on('phase', (event) => phases.push(event));
    const result = await shutdown.shutdown('test', { skipDelay: true, drainTimeoutMs: 200 });

    expect(phases[0]?.inFlight).toMatchObject(before);
    expect(result).toMatchObject({ forced: true, forcedRequests: 2, forcedConnections: 3 });
    expect(await gauges(registry)).toEqual({ connections: 1, requests: 1 });
    for (const res of held) res.end();
  });
});
