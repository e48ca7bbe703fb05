// The page's load generator: runs of virtual users sending a mix of demo requests, counting every outcome.
import { Agent, type ClientRequest, request } from 'node:http';

/** Outcomes of requests: of every run together, or of one run. */
export interface LoadTally {
  ok: number;
  /** Requests that got no answer or a 5xx other than a shed 503: the number that must stay 0. */
  failed: number;
  /** 503 with Retry-After from load shedding: the instance protecting itself, reported apart. */
  shed: number;
  /** Idempotent requests sent again after the server closed a reused keep-alive connection under them. */
  retried: number;
  /** The last failure, for the page. */
  lastError: string | undefined;
  /** Shed requests by the reason the shedder gave (`overloaded`, `queue-timeout`, `stopped`, …). */
  shedReasons: Record<string, number>;
}

/** What the load generator has done since the demo started. */
export interface LoadCounts extends LoadTally {
  /** True while at least one run sends. */
  running: boolean;
  /** Virtual users of every run in progress (concurrent requests). */
  users: number;
  /** Answers per instance. */
  byInstance: Record<string, number>;
}

/** Request mixes: `normal` stays well below capacity; `cpu` burns more CPU than the instances have, so they shed. */
const MIXES = {
  normal: ['/whoami', '/whoami', '/whoami', '/session', '/slow?ms=50'],
  cpu: ['/work?ms=20', '/work?ms=20', '/whoami'],
} as const;

/** A request mix of {@link LoadGenerator.start}. */
export type LoadMix = keyof typeof MIXES;

/** Latencies (ms) of answered requests kept between two reads, per instance: bounds memory if nobody reads. */
const MAX_LATENCIES = 20_000;

/** One run of virtual users, started by {@link LoadGenerator.start}. */
export interface LoadRun {
  readonly users: number;
  readonly mix: LoadMix;
  readonly startedAt: number;
  /** When it stops sending (it may be moved earlier by `stop`). */
  readonly until: number;
  /** This run's own outcomes. */
  readonly tally: Readonly<LoadTally>;
  /** Resolves once every user of the run has had its last answer. */
  readonly done: Promise<void>;
  /** Stops sending new requests; those in flight finish and are counted. */
  stop(): void;
}

interface MutableRun extends LoadRun {
  until: number;
  tally: LoadTally;
}

const emptyTally = (): LoadTally => ({
  ok: 0,
  failed: 0,
  shed: 0,
  retried: 0,
  lastError: undefined,
  shedReasons: {},
});

/**
 * Sends load to `baseUrl`: each run is `users` loops, each with its own session cookie, over
 * keep-alive connections, until the run's end. Runs are independent (a roll's background load and
 * a press of "Send load" each count their own outcomes, and add to the totals). A GET that fails
 * because the server closed a reused idle connection just as it was sent (Node's `req.reusedSocket`)
 * is retried once, as browsers and balancers do; every other error counts as failed.
 */
export class LoadGenerator {
  readonly counts: LoadCounts = {
    ...emptyTally(),
    running: false,
    users: 0,
    byInstance: {},
  };
  readonly #url: URL;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 128 });
  readonly #runs = new Set<MutableRun>();
  #latencies = new Map<string, number[]>();
  #closed = false;

  constructor(baseUrl: string) {
    this.#url = new URL(baseUrl);
  }

  /** Starts a run of `durationMs` with `users` virtual users. */
  start(durationMs: number, users: number, mix: LoadMix = 'normal'): LoadRun {
    const now = Date.now();
    let settle!: () => void;
    const run: MutableRun = {
      users,
      mix,
      startedAt: now,
      until: this.#closed ? now : now + durationMs,
      tally: emptyTally(),
      done: new Promise((resolve) => {
        settle = resolve;
      }),
      stop: () => {
        run.until = Math.min(run.until, Date.now());
      },
    };
    this.#runs.add(run);
    this.#update();
    const loops = Array.from({ length: users }, (_, i) => this.#user(run, i, MIXES[mix]));
    void Promise.all(loops).then(() => {
      this.#runs.delete(run);
      this.#update();
      settle();
    });
    return run;
  }

  /** Runs in progress. */
  get runs(): readonly LoadRun[] {
    return [...this.#runs];
  }

  /** Latencies (ms) of the requests answered since the last call, by the instance that answered. */
  takeLatencies(): Map<string, number[]> {
    const taken = this.#latencies;
    this.#latencies = new Map();
    return taken;
  }

  /** Stops sending and closes the connections. */
  close(): void {
    this.#closed = true;
    for (const run of this.#runs) run.stop();
    this.#agent.destroy();
  }

  #update(): void {
    this.counts.running = this.#runs.size > 0;
    this.counts.users = [...this.#runs].reduce((total, run) => total + run.users, 0);
  }

  async #user(run: MutableRun, index: number, paths: readonly string[]): Promise<void> {
    let cookie: string | undefined;
    for (let n = index; Date.now() < run.until; n++) {
      const path = paths[n % paths.length]!;
      const answer = await this.#send(run, path, cookie, 1);
      if (answer.setCookie) cookie = answer.setCookie;
    }
  }

  #count(run: MutableRun, key: 'ok' | 'failed' | 'shed' | 'retried', error?: string): void {
    this.counts[key]++;
    run.tally[key]++;
    if (error) {
      this.counts.lastError = error;
      run.tally.lastError = error;
    }
  }

  #answered(instance: string, ms: number): void {
    this.counts.byInstance[instance] = (this.counts.byInstance[instance] ?? 0) + 1;
    const list = this.#latencies.get(instance) ?? [];
    if (list.length === 0) this.#latencies.set(instance, list);
    if (list.length < MAX_LATENCIES) list.push(ms);
  }

  #send(
    run: MutableRun,
    path: string,
    cookie: string | undefined,
    retries: number,
  ): Promise<{ setCookie?: string }> {
    return new Promise((settle) => {
      let req: ClientRequest | undefined;
      let settled = false;
      const sentAt = performance.now();
      const resolve = (value: { setCookie?: string } | Promise<{ setCookie?: string }>): void => {
        if (settled) return;
        settled = true;
        settle(value);
      };
      const fail = (reason: string): void => {
        if (settled) return;
        if (retries > 0 && req?.reusedSocket) {
          this.#count(run, 'retried');
          resolve(this.#send(run, path, cookie, retries - 1));
          return;
        }
        this.#count(run, 'failed', `${path}: ${reason}`);
        resolve({});
      };
      req = request(
        {
          host: this.#url.hostname,
          port: this.#url.port,
          path,
          agent: this.#agent,
          headers: cookie ? { cookie } : {},
          timeout: 15_000,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (body += chunk));
          res.on('error', () => fail('response cut'));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status === 503 && res.headers['retry-after'] !== undefined) {
              this.#count(run, 'shed');
              const reason = field(body, 'reason') ?? 'unknown';
              for (const tally of [this.counts, run.tally]) {
                tally.shedReasons[reason] = (tally.shedReasons[reason] ?? 0) + 1;
              }
              resolve({});
              return;
            }
            if (status >= 500) {
              this.#count(run, 'failed', `${path}: HTTP ${status}`);
              resolve({});
              return;
            }
            this.#count(run, 'ok');
            const instance = field(body, 'instance');
            if (instance) this.#answered(instance, performance.now() - sentAt);
            const setCookie = res.headers['set-cookie']?.[0]?.split(';')[0];
            resolve(setCookie ? { setCookie } : {});
          });
        },
      );
      req.on('timeout', () => req?.destroy(new Error('timeout')));
      req.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
      req.end();
    });
  }
}

/** A string field of a JSON body (`instance` of the demo's answers, `reason` of a shed 503). */
function field(body: string, name: string): string | undefined {
  try {
    const value = (JSON.parse(body) as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
