// clusterPrimary({ balance, port, host }) and clusterWorker() options, and the choice of a worker per policy.
import * as http from 'node:http';
import { isLbkitError } from '@lbkit/core';
import { clusterPrimary, clusterWorker, connectionBalancer } from '@lbkit/shutdown';
import { describe, expect, it } from 'vitest';
import { type Candidate, pickWorker, WorkerLoad } from '../src/cluster-balance.js';
import { LOAD_MESSAGE } from '../src/cluster-messages.js';

function failure(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isLbkitError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected an LbkitError');
}

describe('clusterPrimary() balance options, refused before forking', () => {
  it.each([
    ['least-connection', 'least-connections'],
    ['leastLoaded', 'least-loaded'],
    ['iphash', 'ip-hash'],
    ['roundrobin', 'round-robin'],
  ])('balance %s → LBKIT_SHUTDOWN_CLUSTER_BALANCE_INVALID, did you mean %s', (balance, near) => {
    const { code, message } = failure(() => clusterPrimary({ balance: balance as never, port: 3000 }));
    expect(code).toBe('LBKIT_SHUTDOWN_CLUSTER_BALANCE_INVALID');
    expect(message).toContain(`did you mean "${near}"?`);
  });

  it.each([
    ['balance as a number', { balance: 1 }, 'LBKIT_SHUTDOWN_CLUSTER_BALANCE_INVALID'],
    ['least-loaded without a port', { balance: 'least-loaded' }, 'LBKIT_SHUTDOWN_CLUSTER_PORT_INVALID'],
    ['ip-hash on port 70000', { balance: 'ip-hash', port: 70_000 }, 'LBKIT_SHUTDOWN_CLUSTER_PORT_INVALID'],
    ['a port as a string', { balance: 'ip-hash', port: '3000' }, 'LBKIT_SHUTDOWN_CLUSTER_PORT_INVALID'],
    ['an empty host', { balance: 'ip-hash', port: 3000, host: '' }, 'LBKIT_SHUTDOWN_OPTION_INVALID'],
    ['a misspelled option', { balanse: 'ip-hash' }, 'LBKIT_SHUTDOWN_OPTION_UNKNOWN'],
  ])('%s', (_name, options, expected) => {
    const before = process.listenerCount('SIGHUP') + process.listenerCount('SIGTERM');
    expect(failure(() => clusterPrimary(options as never)).code).toBe(expected);
    expect(process.listenerCount('SIGHUP') + process.listenerCount('SIGTERM')).toBe(before);
  });

  it('names "balance" for a misspelled key', () => {
    expect(failure(() => clusterPrimary({ balanse: 'ip-hash' } as never)).message).toContain(
      'did you mean "balance"?',
    );
  });
});

describe('connectionBalancer() for a primary of your own', () => {
  it.each([
    [
      'round-robin (node:cluster does that itself)',
      { balance: 'round-robin', port: 0, workers: () => [] },
      'LBKIT_SHUTDOWN_CLUSTER_BALANCE_INVALID',
    ],
    [
      'a misspelled balance',
      { balance: 'least-load', port: 0, workers: () => [] },
      'LBKIT_SHUTDOWN_CLUSTER_BALANCE_INVALID',
    ],
    ['no port', { balance: 'ip-hash', workers: () => [] }, 'LBKIT_SHUTDOWN_CLUSTER_PORT_INVALID'],
    ['no workers function', { balance: 'ip-hash', port: 0 }, 'LBKIT_SHUTDOWN_OPTION_INVALID'],
    [
      'a pendingTimeoutMs that is not a duration',
      { balance: 'ip-hash', port: 0, workers: () => [], pendingTimeoutMs: -1 },
      'LBKIT_SHUTDOWN_DURATION_INVALID',
    ],
    [
      'a misspelled option',
      { balance: 'ip-hash', port: 0, worker: () => [] },
      'LBKIT_SHUTDOWN_OPTION_UNKNOWN',
    ],
  ])('refuses %s', (_name, options, expected) => {
    expect(failure(() => connectionBalancer(options as never)).code).toBe(expected);
  });

  it('listens, reports its port, and closes', async () => {
    const balancer = connectionBalancer({
      balance: 'least-connections',
      port: 0,
      host: '127.0.0.1',
      workers: () => [],
    });
    await balancer.ready;
    expect(balancer.port).toBeGreaterThan(0);
    balancer.close();
  });
});

describe('clusterWorker()', () => {
  it.each([
    ['no server', { port: 3000 }, 'LBKIT_SHUTDOWN_SERVER_INVALID'],
    ['an Express-like app as the server', { server: () => {}, port: 3000 }, 'LBKIT_SHUTDOWN_SERVER_INVALID'],
    ['no port', { server: http.createServer() }, 'LBKIT_SHUTDOWN_CLUSTER_PORT_INVALID'],
    ['a negative port', { server: http.createServer(), port: -1 }, 'LBKIT_SHUTDOWN_CLUSTER_PORT_INVALID'],
    [
      'queued that is not a function',
      { server: http.createServer(), port: 0, queued: 3 },
      'LBKIT_SHUTDOWN_OPTION_INVALID',
    ],
    [
      'a misspelled option',
      { server: http.createServer(), port: 0, hots: 'x' },
      'LBKIT_SHUTDOWN_OPTION_UNKNOWN',
    ],
  ])('refuses %s', (_name, options, expected) => {
    expect(failure(() => clusterWorker(options as never)).code).toBe(expected);
  });

  it('outside a cluster is server.listen(port, host): mode shared', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    const worker = clusterWorker({ server, port: 0, host: '127.0.0.1' });
    expect(worker.mode).toBe('shared');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    const body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
    expect(body).toBe('ok');
    worker.dispose();
    await new Promise((resolve) => server.close(resolve));
  });
});

function candidate(slot: number, generation: number, set: (load: WorkerLoad) => void = () => {}): Candidate {
  const load = new WorkerLoad();
  load.reportedAt = 1000;
  load.report = {
    type: LOAD_MESSAGE,
    inFlight: 0,
    queued: 0,
    elu: 0,
    received: 0,
    closed: 0,
    accepting: true,
  };
  set(load);
  return { slot, generation, load };
}

function report(
  load: WorkerLoad,
  figures: Partial<{ inFlight: number; queued: number; elu: number; received: number; closed: number }>,
) {
  load.report = { ...load.report!, ...figures };
}

describe('pickWorker()', () => {
  it('least-connections: the fewest open (handed minus reported closed), ties in turn', () => {
    const a = candidate(0, 1, (l) => {
      l.handed = 5;
      report(l, { received: 5, closed: 1 });
    });
    const b = candidate(1, 2, (l) => {
      l.handed = 3;
    });
    const c = candidate(2, 3, (l) => {
      l.handed = 9;
      report(l, { received: 9, closed: 8 });
    });
    expect(pickWorker('least-connections', [a, b, c], undefined, 0, 1000)).toBe(c);
    const d = candidate(3, 4, (l) => {
      l.handed = 1;
      report(l, { received: 1 });
    });
    expect([0, 1].map((turn) => pickWorker('least-connections', [c, d], undefined, turn, 1000))).toEqual([
      c,
      d,
    ]);
  });

  it('least-loaded: avoids a busy event loop and a worker that stopped reporting', () => {
    const idle = candidate(0, 1, (l) => report(l, { inFlight: 1, elu: 0.1 }));
    const busy = candidate(1, 2, (l) => report(l, { inFlight: 1, elu: 0.95 }));
    expect(pickWorker('least-loaded', [busy, idle], undefined, 0, 1000)).toBe(idle);
    // Work counts before utilisation: three requests in flight weigh more than a busy loop with one.
    const crowded = candidate(4, 5, (l) => report(l, { inFlight: 3, elu: 0.1 }));
    expect(pickWorker('least-loaded', [busy, crowded], undefined, 0, 1000)).toBe(busy);
    const silent = candidate(2, 3, (l) => {
      l.reportedAt = 0;
    });
    expect(pickWorker('least-loaded', [silent, idle], undefined, 0, 1500)).toBe(idle);
    // Connections handed and not yet taken count as work there.
    const swamped = candidate(3, 4, (l) => {
      l.handed = 10;
    });
    expect(pickWorker('least-loaded', [swamped, idle], undefined, 0, 1000)).toBe(idle);
  });

  it('ip-hash: one slot per address, the newest worker of that slot, stable when another slot leaves', () => {
    const workers = [candidate(0, 1), candidate(1, 2), candidate(2, 3)];
    const chosen = new Map<string, number>();
    for (let i = 2; i < 40; i++) {
      const address = `127.0.0.${i}`;
      const slot = pickWorker('ip-hash', workers, address, i, 1000)!.slot;
      expect(pickWorker('ip-hash', workers, `::ffff:${address}`, i + 7, 1000)!.slot).toBe(slot);
      chosen.set(address, slot);
    }
    expect(new Set(chosen.values()).size).toBe(3);
    // Slot 1 has no ready worker: only its clients move.
    const without = [workers[0]!, workers[2]!];
    for (const [address, slot] of chosen) {
      const now = pickWorker('ip-hash', without, address, 0, 1000)!.slot;
      if (slot !== 1) expect(now).toBe(slot);
    }
    // A slot's replacement takes its clients.
    const replacement = candidate(1, 9);
    const address = [...chosen].find(([, slot]) => slot === 1)![0];
    expect(pickWorker('ip-hash', [...workers, replacement], address, 0, 1000)).toBe(replacement);
  });

  it('nobody to pick: undefined', () => {
    expect(pickWorker('least-loaded', [], '127.0.0.1', 0, 0)).toBeUndefined();
  });
});
