// Regression (issue #14): pipelined responses queued behind an unfinished one end when their socket closes.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { InFlight } from '@lbkit/core';
import { afterEach, describe, expect, it } from 'vitest';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

describe('InFlight with pipelined requests', () => {
  it('ends every request of a connection when it closes, including responses queued that Node never closes', async () => {
    const inFlight = new InFlight();
    let first = true;
    const server = createServer((_req, res) => {
      // The first response never finishes: the others queue behind it on the socket.
      if (first) first = false;
      else res.end('queued');
    });
    inFlight.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => server.close());
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: test\r\n\r\n'.repeat(5));
    while (inFlight.requests < 5) await once(inFlight, 'requestStart');
    let active = 0;
    inFlight.forEachConnection((_connection, requests) => {
      active += requests;
    });
    expect(active).toBe(5);
    socket.destroy();
    await inFlight.idle();
    expect(inFlight.snapshot()).toMatchObject({ requests: 0, connections: 0 });
  });
});
