import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createH2cServer, connect as http2Connect } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { InFlight } from '@lbkit/core';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { testCertificate } from '../../../test/helpers/tls.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A handler that holds each response until `release()` is called. */
function heldResponses() {
  const waiting: Array<() => void> = [];
  const handler: Handler = (_req, res) => {
    waiting.push(() => res.end('done'));
  };
  return {
    handler,
    get held() {
      return waiting.length;
    },
    release: () => {
      for (const finish of waiting.splice(0)) finish();
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('InFlight on node:http', () => {
  it('counts requests until their responses finish and tracks the oldest age', async () => {
    const inFlight = new InFlight();
    const held = heldResponses();
    const server = createHttpServer(held.handler);
    inFlight.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const agent = new Agent({ connections: 4 });
    closers.push(
      () => agent.close(),
      () => new Promise((r) => server.close(r)),
    );
    const { port } = server.address() as AddressInfo;

    const responses = [1, 2, 3].map(() => request(`http://127.0.0.1:${port}/`, { dispatcher: agent }));
    await until(() => held.held === 3);
    expect(inFlight.requests).toBe(3);
    expect(inFlight.connections).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 30));
    expect(inFlight.oldestRequestMs()).toBeGreaterThanOrEqual(20);

    const idle = inFlight.idle();
    held.release();
    for (const response of await Promise.all(responses)) await response.body.text();
    await idle;
    expect(inFlight.requests).toBe(0);
    expect(inFlight.oldestRequestMs()).toBe(0);
  });

  it('knows which keep-alive connections are idle and forgets closed ones', async () => {
    const inFlight = new InFlight();
    const server = createHttpServer((_req, res) => res.end('ok'));
    inFlight.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const agent = new Agent({ connections: 1 });
    closers.push(() => new Promise((r) => server.close(r)));
    const { port } = server.address() as AddressInfo;

    const response = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent });
    await response.body.text();
    await until(() => inFlight.requests === 0);
    const active: number[] = [];
    inFlight.forEachConnection((_c, n) => active.push(n));
    expect(active).toEqual([0]);

    await agent.close();
    await until(() => inFlight.connections === 0);
  });

  it('ends tracking when the client aborts mid-request', async () => {
    const inFlight = new InFlight();
    const held = heldResponses();
    const server = createHttpServer(held.handler);
    inFlight.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => new Promise((r) => server.close(r)));
    const { port } = server.address() as AddressInfo;

    const controller = new AbortController();
    const pending = request(`http://127.0.0.1:${port}/`, { signal: controller.signal }).catch(
      () => undefined,
    );
    await until(() => inFlight.requests === 1);
    controller.abort();
    await pending;
    await until(() => inFlight.requests === 0);
    held.release();
  });

  it('tracks a request once even when track() is called by several layers', async () => {
    const inFlight = new InFlight();
    let calls = 0;
    const server = createHttpServer((req, res) => {
      if (inFlight.track(req, res)) calls++;
      if (inFlight.track(req, res)) calls++;
      res.end(String(inFlight.requests));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => new Promise((r) => server.close(r)));
    const { port } = server.address() as AddressInfo;
    const response = await request(`http://127.0.0.1:${port}/`);
    expect(await response.body.text()).toBe('1');
    expect(calls).toBe(1);
  });
});

describe('InFlight on node:https', () => {
  it('tracks TLS connections and requests', async () => {
    const inFlight = new InFlight();
    const held = heldResponses();
    const server = createHttpsServer(testCertificate(), held.handler);
    inFlight.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const agent = new Agent({ connect: { rejectUnauthorized: false } });
    closers.push(
      () => agent.close(),
      () => new Promise((r) => server.close(r)),
    );
    const { port } = server.address() as AddressInfo;

    const pending = request(`https://127.0.0.1:${port}/`, { dispatcher: agent });
    await until(() => held.held === 1);
    expect(inFlight.requests).toBe(1);
    let active = -1;
    inFlight.forEachConnection((_c, n) => {
      active = n;
    });
    expect(active).toBe(1);
    held.release();
    await (await pending).body.text();
    await until(() => inFlight.requests === 0);
  });
});

describe('InFlight on node:http2', () => {
  it('counts concurrent streams of one session as requests on one connection', async () => {
    const inFlight = new InFlight();
    const waiting: Array<() => void> = [];
    const server = createH2cServer((_req, res) => {
      waiting.push(() => res.end('ok'));
    });
    inFlight.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const client = http2Connect(`http://127.0.0.1:${port}`);
    // Closers run in reverse: the client session closes first, then the server can finish closing.
    closers.push(
      () => new Promise((r) => server.close(r)),
      () => new Promise<void>((r) => client.close(() => r())),
    );

    const streams = [1, 2].map(() => {
      const stream = client.request({ ':path': '/' });
      stream.resume();
      return once(stream, 'end');
    });
    await until(() => waiting.length === 2);
    expect(inFlight.requests).toBe(2);
    expect(inFlight.connections).toBe(1);
    for (const finish of waiting.splice(0)) finish();
    await Promise.all(streams);
    await until(() => inFlight.requests === 0);
  });
});
