// The page's load generator: virtual users sending a mix of demo requests, counting every outcome.
import { Agent, type ClientRequest, request } from 'node:http';

/** What the load generator has done since the page started it. */
export interface LoadCounts {
  running: boolean;
  /** Virtual users (concurrent requests). */
  users: number;
  ok: number;
  /** Requests that got no answer or a 5xx other than a shed 503: the number that must stay 0. */
  failed: number;
  /** 503 with Retry-After from load shedding: the instance protecting itself, reported apart. */
  shed: number;
  /** Idempotent requests sent again after the server closed a reused keep-alive connection under them. */
  retried: number;
  /** The last failure, for the page. */
  lastError: string | undefined;
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

/**
 * Sends load to `baseUrl` until `durationMs` is over: `users` loops, each with its own session
 * cookie, over keep-alive connections. A GET that fails because the server closed a reused idle
 * connection just as it was sent (Node's `req.reusedSocket`) is retried once, as browsers and
 * balancers do; every other error counts as failed.
 */
export class LoadGenerator {
  readonly counts: LoadCounts = {
    running: false,
    users: 0,
    ok: 0,
    failed: 0,
    shed: 0,
    retried: 0,
    lastError: undefined,
    byInstance: {},
  };
  readonly #url: URL;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });
  #until = 0;

  constructor(baseUrl: string) {
    this.#url = new URL(baseUrl);
  }

  /** Starts a run of `durationMs` with `users` virtual users (or extends the one running, with its users and mix). */
  start(durationMs: number, users: number, mix: LoadMix = 'normal'): void {
    this.#until = Math.max(this.#until, Date.now() + durationMs);
    if (this.counts.running) return;
    this.counts.running = true;
    this.counts.users = users;
    const loops = Array.from({ length: users }, (_, i) => this.#user(i, MIXES[mix]));
    void Promise.all(loops).then(() => {
      this.counts.running = false;
      this.counts.users = 0;
    });
  }

  /** Stops sending and closes the connections. */
  close(): void {
    this.#until = 0;
    this.#agent.destroy();
  }

  async #user(index: number, paths: readonly string[]): Promise<void> {
    let cookie: string | undefined;
    for (let n = index; Date.now() < this.#until; n++) {
      const path = paths[n % paths.length]!;
      const answer = await this.#send(path, cookie, 1);
      if (answer.setCookie) cookie = answer.setCookie;
    }
  }

  #send(path: string, cookie: string | undefined, retries: number): Promise<{ setCookie?: string }> {
    return new Promise((settle) => {
      let req: ClientRequest | undefined;
      let settled = false;
      const resolve = (value: { setCookie?: string } | Promise<{ setCookie?: string }>): void => {
        if (settled) return;
        settled = true;
        settle(value);
      };
      const fail = (reason: string): void => {
        if (settled) return;
        if (retries > 0 && req?.reusedSocket) {
          this.counts.retried++;
          resolve(this.#send(path, cookie, retries - 1));
          return;
        }
        this.counts.failed++;
        this.counts.lastError = `${path}: ${reason}`;
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
              this.counts.shed++;
              resolve({});
              return;
            }
            if (status >= 500) {
              this.counts.failed++;
              this.counts.lastError = `${path}: HTTP ${status}`;
              resolve({});
              return;
            }
            this.counts.ok++;
            const instance = instanceOf(body);
            if (instance) this.counts.byInstance[instance] = (this.counts.byInstance[instance] ?? 0) + 1;
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

function instanceOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { instance?: unknown };
    return typeof parsed.instance === 'string' ? parsed.instance : undefined;
  } catch {
    return undefined;
  }
}
