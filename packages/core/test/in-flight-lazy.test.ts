// Requests tracked on their connection only (no listener on the response): counted, aged and ended like eager ones, and made eager when someone must hear of their end.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { InFlight, type Observation, type RequestObserver } from '@lbkit/core';
import { afterEach, describe, expect, it } from 'vitest';

interface Held {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A server, attached to `inFlight` unless told not to, whose handler holds every response (after `onRequest`). */
async function holdingServer(
  inFlight: InFlight,
  onRequest: (req: IncomingMessage, res: ServerResponse) => void = () => {},
  attach = true,
): Promise<{ server: Server; port: number; held: Held[] }> {
  const held: Held[] = [];
  const server = createServer((req, res) => {
    onRequest(req, res);
    held.push({ req, res });
  });
  if (attach) inFlight.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return { server, port: (server.address() as AddressInfo).port, held };
}

/** A raw keep-alive connection that writes `requests` GET requests at once (pipelined when more than one). */
async function rawClient(port: number, requests: number): Promise<{ socket: Socket; answers: () => number }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  socket.on('error', () => {});
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(requests));
  closers.push(() => {
    socket.destroy();
  });
  return { socket, answers: () => text.split('HTTP/1.1 200').length - 1 };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}

const closed = (res: ServerResponse): Promise<unknown> =>
  res.closed ? Promise.resolve() : once(res, 'close');

/** The server-side socket of the one connection InFlight knows on `server`. */
function serverSocket(inFlight: InFlight, server: Server): Socket {
  let found: Socket | undefined;
  inFlight.forEachConnection((connection, _requests, state) => {
    if (state.server === server) found = connection as Socket;
  });
  if (!found) throw new Error('no connection known on the server');
  return found;
}

describe('InFlight, requests tracked lazily on their connection', () => {
  it('counts pipelined requests and their age, and forgets each once its response closed', async () => {
    const inFlight = new InFlight();
    const { server, port, held } = await holdingServer(inFlight);
    const client = await rawClient(port, 3);
    // Node hands every pipelined request to the handler as it parses it; their responses wait in line.
    await until(() => held.length === 3);
    await new Promise((r) => setTimeout(r, 30));
    expect(inFlight.oldestRequestMs()).toBeGreaterThanOrEqual(20);
    expect(inFlight.stateOf(serverSocket(inFlight, server))?.pipelined).toBe(true);
    for (let i = 0; i < 3; i++) {
      expect(inFlight.requestsOf([server])).toBe(3 - i);
      expect(inFlight.activeOn(serverSocket(inFlight, server))).toBe(3 - i);
      const { res } = held[i]!;
      res.end('ok');
      await closed(res);
    }
    expect(inFlight.requests).toBe(0);
    await until(() => client.answers() === 3);
    expect(inFlight.oldestRequestMs()).toBe(0);
  });

  it('ends the requests of a connection that closes before they are answered', async () => {
    const inFlight = new InFlight();
    const { port, held } = await holdingServer(inFlight);
    const client = await rawClient(port, 1);
    await until(() => held.length === 1);
    expect(inFlight.requests).toBe(1);
    client.socket.destroy();
    await until(() => inFlight.connections === 0);
    expect(inFlight.requests).toBe(0);
  });

  it('track() answers true for a request it starts tracking and false for one tracked already', async () => {
    const inFlight = new InFlight();
    const answers: boolean[] = [];
    // The attached server tracked the request before the handler runs.
    const attached = await holdingServer(inFlight, (req, res) => answers.push(inFlight.track(req, res)));
    // This one is not attached: the handler's first call starts tracking.
    const plain = await holdingServer(
      inFlight,
      (req, res) => answers.push(inFlight.track(req, res), inFlight.track(req, res)),
      false,
    );
    await rawClient(attached.port, 1);
    await rawClient(plain.port, 1);
    await until(() => answers.length === 3);
    expect(answers.sort()).toEqual([false, false, true]);
    expect(inFlight.requests).toBe(2);
  });

  it('hands a request over to an observer with the start its connection noted, and tells the observer of its end', async () => {
    const inFlight = new InFlight();
    const ends: Array<{ observation: Observation; now: number }> = [];
    const observer: RequestObserver = { requestEnded: (observation, now) => ends.push({ observation, now }) };
    const holds: Observation[] = [];
    let before = 0;
    const { port, held } = await holdingServer(inFlight, (req, res) => {
      before = performance.now();
      holds.push(inFlight.observe(req, res, observer));
    });
    await rawClient(port, 1);
    await until(() => held.length === 1);
    const [hold] = holds;
    // Tracked at the server's request event, before the handler: not fresh, started earlier.
    expect(hold?.fresh).toBe(false);
    expect(hold?.at).toBeLessThanOrEqual(before);
    expect(held[0]!.res.listenerCount('close')).toBeGreaterThan(0);
    expect(inFlight.requests).toBe(1);
    held[0]!.res.end('ok');
    await closed(held[0]!.res);
    expect(ends).toHaveLength(1);
    expect(ends[0]?.observation).toBe(hold);
    expect(inFlight.requests).toBe(0);
  });

  it('turns the requests in flight eager when a requestEnd or idle listener is added, so their ends are heard', async () => {
    const inFlight = new InFlight();
    const { port, held } = await holdingServer(inFlight);
    await rawClient(port, 1);
    await rawClient(port, 1);
    await until(() => held.length === 2);
    expect(held.map(({ res }) => res.listenerCount('close'))).toEqual([0, 0]);
    const ends: number[] = [];
    inFlight.on('requestEnd', (left) => ends.push(left));
    const idle = inFlight.idle();
    held[0]!.res.end('ok');
    await closed(held[0]!.res);
    held[1]!.res.end('ok');
    await idle;
    expect(ends).toEqual([1, 0]);
  });

  it('tracks eagerly for good once requests are counted on every response under concurrency (counting stays O(1))', async () => {
    const inFlight = new InFlight();
    const { port, held } = await holdingServer(inFlight);
    for (let i = 0; i < 40; i++) await rawClient(port, 1);
    await until(() => held.length === 40);
    expect(held.every(({ res }) => res.listenerCount('close') === 0)).toBe(true);
    // A per-response reader (the ORCA header without a shedder) walks every connection each time.
    for (let i = 0; i < 4; i++) expect(inFlight.requests).toBe(40);
    expect(held.every(({ res }) => res.listenerCount('close') === 1)).toBe(true);
    for (const { res } of held) res.end('ok');
    await Promise.all(held.map(({ res }) => closed(res)));
    expect(inFlight.requests).toBe(0);
    // New requests are tracked eagerly too.
    await rawClient(port, 1);
    await until(() => held.length === 41);
    expect(held[40]!.res.listenerCount('close')).toBe(1);
  });

  it('counts a response first seen closed as activity then, so an idle sweep waits its grace after it', async () => {
    const inFlight = new InFlight();
    const { server, port, held } = await holdingServer(inFlight);
    await rawClient(port, 1);
    await until(() => held.length === 1);
    held[0]!.res.end('ok');
    await closed(held[0]!.res);
    await new Promise((r) => setTimeout(r, 60));
    const socket = serverSocket(inFlight, server);
    // Not looked at since it started: when it ended is unknown, so it ended "now" at the first look.
    expect(inFlight.quietMs(socket)).toBeLessThan(30);
    await new Promise((r) => setTimeout(r, 60));
    expect(inFlight.quietMs(socket)).toBeGreaterThanOrEqual(50);
  });
});
