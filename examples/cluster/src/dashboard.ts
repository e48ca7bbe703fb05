// The live page's server: the page, a server-sent event stream of every instance, and the buttons' actions.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LoadCounts, LoadGenerator } from './load.js';
import { PAGE } from './page.js';
import type { Supervisor, WorkerView } from './supervisor.js';

/** What the page shows about one worker. */
interface InstanceView {
  readonly slot: number;
  readonly generation: number;
  readonly pid: number | undefined;
  readonly status: string;
  readonly state: string;
  readonly instance: string | undefined;
  readonly inFlight: number;
  readonly limit: number;
  readonly queued: number;
  readonly shedPerSecond: number;
  readonly servedPerSecond: number;
  readonly health: string;
  readonly sessions: string;
  readonly sessionOps: number;
  readonly exitCode: number | null | undefined;
}

/** One message of the event stream. */
interface Snapshot {
  readonly mode: string;
  readonly appUrl: string;
  readonly sessions: string;
  readonly instances: readonly InstanceView[];
  readonly load: LoadCounts;
  readonly log: readonly string[];
}

const TICK_MS = 500;

/** Per-second rates from cumulative counters, per worker. */
class Rates {
  readonly #last = new Map<number, { at: number; shed: number; admitted: number }>();

  read(worker: WorkerView, now: number): { shed: number; served: number } {
    const stats = worker.stats;
    const pid = worker.pid ?? -1;
    if (!stats) return { shed: 0, served: 0 };
    const last = this.#last.get(pid);
    this.#last.set(pid, { at: now, shed: stats.shed, admitted: stats.admitted });
    if (!last || now <= last.at) return { shed: 0, served: 0 };
    const seconds = (now - last.at) / 1000;
    return {
      shed: Math.max(0, stats.shed - last.shed) / seconds,
      served: Math.max(0, stats.admitted - last.admitted) / seconds,
    };
  }
}

/** Starts the page's server on `port`. */
export async function startDashboard(options: {
  port: number;
  host: string;
  mode: string;
  appUrl: string;
  sessions: string;
  supervisor: Supervisor;
  load: LoadGenerator;
}): Promise<{ server: Server; close(): void }> {
  const { supervisor, load } = options;
  const rates = new Rates();
  const clients = new Set<ServerResponse>();
  let latest = '';

  const snapshot = (): Snapshot => {
    const now = Date.now();
    return {
      mode: options.mode,
      appUrl: options.appUrl,
      sessions: options.sessions,
      instances: supervisor.workers.map((worker) => {
        const s = worker.stats;
        const rate = rates.read(worker, now);
        return {
          slot: worker.slot,
          generation: worker.generation,
          pid: worker.pid,
          status: worker.status,
          state: worker.status === 'exited' ? 'exited' : (s?.state ?? worker.status),
          instance: s?.instance,
          inFlight: s?.inFlight ?? 0,
          limit: s?.limit ?? 0,
          queued: s?.queued ?? 0,
          shedPerSecond: Math.round(rate.shed * 10) / 10,
          servedPerSecond: Math.round(rate.served * 10) / 10,
          health: worker.status === 'exited' ? '-' : (s?.health ?? '-'),
          sessions: s
            ? s.sessions === 'redis'
              ? s.sessionsAvailable
                ? 'redis'
                : 'redis (down)'
              : 'memory'
            : '-',
          sessionOps: s?.sessionOps ?? 0,
          exitCode: worker.exitCode,
        };
      }),
      load: load.counts,
      log: supervisor.recentLog,
    };
  };
  const tick = setInterval(() => {
    latest = `data: ${JSON.stringify(snapshot())}\n\n`;
    for (const res of clients) res.write(latest);
  }, TICK_MS);

  const actions: Record<string, (slot: number, url: URL) => unknown> = {
    drain: (slot) => supervisor.drain(slot),
    restart: (slot) => supervisor.restart(slot),
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(latest || `data: ${JSON.stringify(snapshot())}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (req.method === 'POST') {
      const done = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/api/load') {
        const seconds = clamp(Number(url.searchParams.get('seconds') ?? 20), 1, 300);
        const users = clamp(Number(url.searchParams.get('users') ?? 8), 1, 64);
        const mix = url.searchParams.get('mix') === 'cpu' ? 'cpu' : 'normal';
        load.start(seconds * 1000, users, mix);
        return done(202, { seconds, users, mix });
      }
      if (url.pathname === '/api/roll') {
        void supervisor.roll();
        return done(202, { roll: true });
      }
      const match = /^\/api\/instances\/(\d{1,3})\/(drain|restart)$/.exec(url.pathname);
      const slot = match ? Number(match[1]) - 1 : -1;
      if (match && slot >= 0 && slot < supervisor.count) {
        void actions[match[2]!]!(slot, url);
        return done(202, { slot: slot + 1, action: match[2] });
      }
      return done(404, { error: 'unknown action' });
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  server.listen(options.port, options.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return {
    server,
    close: () => {
      clearInterval(tick);
      for (const res of clients) res.end();
      server.close();
    },
  };
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.round(value))) : min;
}
