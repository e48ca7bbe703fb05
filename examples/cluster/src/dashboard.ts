// The live page's server: the page and its assets, a server-sent event stream of every instance, and the buttons' actions.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type ActionResult, Actions, type ActionView } from './actions.js';
import { HISTORY_MS, History, type Sample, type Share } from './history.js';
import type { LoadCounts, LoadGenerator, LoadMix, LoadRun } from './load.js';
import { PAGE, PAGE_CSS } from './page.js';
import { PAGE_SCRIPT } from './page-script.js';
import { type InstanceView, instanceView, LIMIT_MAX, Rates, sample } from './snapshot.js';
import type { Supervisor } from './supervisor.js';

/** One message of the event stream. */
interface Snapshot {
  readonly mode: string;
  readonly appUrl: string;
  readonly sessions: string;
  readonly slots: number;
  readonly historyMs: number;
  readonly limitMax: number;
  readonly instances: readonly InstanceView[];
  readonly load: LoadCounts;
  readonly log: readonly string[];
  readonly actions: Record<string, ActionView>;
  readonly share: readonly Share[];
  /** The newest sample; the first message of a stream carries the whole `history` instead. */
  readonly sample?: Sample;
  readonly history?: readonly Sample[];
}

const TICK_MS = 500;
/** Bound on a roll's background load: a roll that takes longer still ends its load here. */
const ROLL_LOAD_MAX_MS = 180_000;
/** Virtual users of a roll's background load (the normal mix: well below capacity). */
const ROLL_LOAD_USERS = 4;

// Everything the page loads comes from this server; the policy makes the browser refuse anything else.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};
const ASSETS: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: PAGE },
  '/page.css': { type: 'text/css; charset=utf-8', body: PAGE_CSS },
  '/page.js': { type: 'text/javascript; charset=utf-8', body: PAGE_SCRIPT },
};

const seconds = (ms: number): number => Math.max(0, Math.round(ms / 1000));

function tallyText(run: LoadRun): string {
  const t = run.tally;
  const reasons = Object.entries(t.shedReasons)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return `${t.ok} answered, ${t.failed} failed, ${t.shed} shed${reasons ? ` (${reasons})` : ''}, ${t.retried} retried`;
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
  const history = new History();
  const actions = new Actions();
  const clients = new Set<ServerResponse>();

  const snapshot = (withHistory: boolean, newest?: Sample, views?: readonly InstanceView[]): Snapshot => {
    const instances = views ?? supervisor.workers.map((w) => instanceView(w, { shed: 0, served: 0 }));
    return {
      mode: options.mode,
      appUrl: options.appUrl,
      sessions: options.sessions,
      slots: supervisor.count,
      historyMs: HISTORY_MS,
      limitMax: LIMIT_MAX,
      instances,
      load: load.counts,
      log: supervisor.recentLog,
      actions: actions.view(),
      share: history.share(supervisor.count),
      ...(withHistory ? { history: history.samples } : newest ? { sample: newest } : {}),
    };
  };
  let latest: Snapshot = snapshot(true);
  const tick = setInterval(() => {
    const now = Date.now();
    const workers = supervisor.workers;
    rates.keep(new Set(workers.map((w) => w.pid ?? -1)));
    const views = workers.map((w) => instanceView(w, rates.read(w)));
    const newest = sample(now, supervisor.count, views, load.takeLatencies());
    history.push(newest);
    latest = snapshot(false, newest, views);
    const message = `data: ${JSON.stringify(latest)}\n\n`;
    for (const res of clients) res.write(message);
  }, TICK_MS);

  const startLoad = (key: string, ms: number, users: number, mix: LoadMix): boolean => {
    let run: LoadRun | undefined;
    return actions.run(
      key,
      key,
      () => `running… ${seconds((run?.until ?? 0) - Date.now())} s left, ${users} users`,
      async (): Promise<ActionResult> => {
        run = load.start(ms, users, mix);
        await run.done;
        return {
          text: `${seconds(ms)} s, ${users} users: ${tallyText(run)}`,
          failed: run.tally.failed > 0,
        };
      },
    );
  };
  const roll = (): boolean => {
    let run: LoadRun | undefined;
    const startedAt = Date.now();
    return actions.run(
      'roll',
      'roll',
      () => {
        const slot = supervisor.rollingSlot;
        const where = slot === undefined ? '' : ` instance ${slot + 1} of ${supervisor.count},`;
        return `rolling…${where} under load: ${run ? tallyText(run) : ''}`;
      },
      async (): Promise<ActionResult> => {
        // A bounded background load for the roll's duration, so its "0 failed" counts real requests.
        run = load.start(ROLL_LOAD_MAX_MS, ROLL_LOAD_USERS, 'normal');
        try {
          await supervisor.roll();
          // A last second of load on the new processes only.
          await new Promise((resolve) => setTimeout(resolve, 1000));
        } finally {
          run.stop();
        }
        await run.done;
        return {
          text: `rolled ${supervisor.count} instances in ${seconds(Date.now() - startedAt)} s under load: ${tallyText(run)}`,
          failed: run.tally.failed > 0,
        };
      },
    );
  };
  const slotAction = (slot: number, action: 'drain' | 'restart'): boolean =>
    actions.run(
      `slot-${slot + 1}`,
      action,
      () => (action === 'drain' ? 'draining…' : 'starting a new process…'),
      async (): Promise<ActionResult> => {
        if (action === 'drain') {
          await supervisor.drain(slot);
          return { text: 'drained: the process exited; Start brings the slot back' };
        }
        const ok = await supervisor.restart(slot);
        const fresh = supervisor.workers.filter((w) => w.slot === slot && w.status === 'ready').at(-1);
        return ok
          ? { text: `pid ${fresh?.pid} ready; the previous process drained` }
          : { text: 'the new process did not become ready; see the log', failed: true };
      },
    );

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const asset = req.method === 'GET' ? ASSETS[url.pathname] : undefined;
    if (asset) {
      res.writeHead(200, { 'content-type': asset.type, ...SECURITY_HEADERS });
      res.end(asset.body);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(`data: ${JSON.stringify({ ...latest, sample: undefined, history: history.samples })}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (req.method === 'POST') {
      const done = (started: boolean, body: unknown): void => {
        res.writeHead(started ? 202 : 409, { 'content-type': 'application/json' });
        res.end(JSON.stringify(started ? body : { error: 'already running' }));
      };
      if (url.pathname === '/api/load') {
        const secs = clamp(Number(url.searchParams.get('seconds') ?? 20), 1, 300);
        const users = clamp(Number(url.searchParams.get('users') ?? 8), 1, 64);
        const mix: LoadMix = url.searchParams.get('mix') === 'cpu' ? 'cpu' : 'normal';
        const key = mix === 'cpu' ? 'overload' : 'load';
        return done(startLoad(key, secs * 1000, users, mix), { seconds: secs, users, mix });
      }
      if (url.pathname === '/api/roll') return done(roll(), { roll: true });
      const match = /^\/api\/instances\/(\d{1,3})\/(drain|restart)$/.exec(url.pathname);
      const slot = match ? Number(match[1]) - 1 : -1;
      if (match && slot >= 0 && slot < supervisor.count) {
        const action = match[2] as 'drain' | 'restart';
        return done(slotAction(slot, action), { slot: slot + 1, action });
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unknown action' }));
      return;
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
