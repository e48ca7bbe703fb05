// A node:http server behind one LoadShedder whose /hold route keeps its slot until released: the next request is shed.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lifecycle } from '@lbkit/core';
import { LoadShedder, type LoadSheddingOptions } from '@lbkit/shedding';

/** A running server; `hold()` occupies the only slot, `close()` releases everything. */
export interface HeldServer {
  readonly url: string;
  readonly shedder: LoadShedder;
  /** Sends GET /hold and resolves once it holds the slot. */
  hold(): Promise<void>;
  /** Answers the held request. */
  release(): void;
  close(): Promise<void>;
}

/** Limit 1, no queue: while /hold is held, every other non-exempt request is shed. */
export async function heldServer(options: LoadSheddingOptions = {}): Promise<HeldServer> {
  const shedder = new LoadShedder({
    lifecycle: new Lifecycle(),
    concurrencyLimit: 1,
    queue: false,
    ...options,
  });
  const waiting: Array<() => void> = [];
  const server = createServer((req, res) =>
    shedder.admit(req, res, () => {
      if (req.url === '/hold') waiting.push(() => res.end('held'));
      else res.end('ok');
    }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let held: Promise<Response> | undefined;
  return {
    url,
    shedder,
    async hold() {
      held = fetch(`${url}/hold`);
      for (let i = 0; i < 1000 && shedder.inFlight === 0; i++) await sleep(5);
    },
    release() {
      for (const answer of waiting.splice(0)) answer();
    },
    async close() {
      for (const answer of waiting.splice(0)) answer();
      await held?.catch(() => undefined);
      shedder.close();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
