// Keep-alive session-write load on the demo apps for the failover tests: every acknowledged write is remembered, then read back.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** Writes one run's figures to test-artifacts/session-failover-<name>.json (for bench/RESULTS.md) and prints them. */
export function recordRun(name: string, figures: Record<string, unknown>): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(`${ARTIFACTS}session-failover-${name}.json`, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`session failover ${name}: ${JSON.stringify(figures)}`);
}

/** Polls `check` every 50 ms; resolves with the time it first held. */
export async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
  return Date.now();
}

/** One session a client wrote to: its cookie and the keys acknowledged with 200, with their values. */
interface SessionTrail {
  readonly cookie: string;
  readonly keys: Map<string, number>;
}

/** What the load saw, for assertions and bench/RESULTS.md. */
export interface LoadReport {
  readonly acknowledged: number;
  /** Responses by status; `0` counts requests that got no response (connection errors). */
  readonly statuses: Record<string, number>;
  /** Time of the first and last response that was not a 200 (ms since the epoch). */
  readonly firstErrorAt: number | undefined;
  readonly lastErrorAt: number | undefined;
  /**
   * The last failure that came from the session store (an `LBKIT_SESSION_` code in the body, or no
   * answer at all), as opposed to the demo's load shedding answering 503 on a loaded machine.
   */
  readonly lastStoreErrorAt: number | undefined;
  /** Non-200 answers by cause: the `LBKIT_SESSION_…` code, `shed:<reason>`, or `status:<n>`. */
  readonly causes: Record<string, number>;
  /** Longest stretch (ms) between two acknowledged writes. */
  readonly longestGapMs: number;
  /** Distinct bodies of the answers that were not 200 (first 200 characters, at most 10). */
  readonly errorBodies: readonly string[];
}

/** The outcome of reading every acknowledged write back. */
export interface ReadBack {
  readonly sessions: number;
  readonly checked: number;
  /** Acknowledged keys missing or with another value (a lost session loses all its keys). */
  readonly lost: number;
}

interface Answer {
  readonly status: number;
  readonly cookie: string | undefined;
  readonly body: string;
}

function post(agent: Agent, url: URL, cookie: string | undefined, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(cookie ? { cookie } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            cookie: res.headers['set-cookie']?.[0]?.split(';')[0],
            body: text,
          }),
        );
        res.on('error', reject);
      },
    );
    // A request stuck on a frozen dependency still ends: the app's own deadlines answer 503 first.
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `clients` keep-alive clients, spread over `urls`, each writing a unique key per request into its
 * own session (POST /session/:key answers 200 only after the save succeeded) and starting a new
 * session every `keysPerSession` keys, so sessions stay small.
 */
export class SessionWriteLoad {
  readonly #urls: readonly string[];
  readonly #clients: number;
  readonly #keysPerSession: number;
  readonly #trails: SessionTrail[] = [];
  readonly #statuses: Record<string, number> = {};
  readonly #agents: Agent[] = [];
  readonly #errorBodies = new Set<string>();
  readonly #causes: Record<string, number> = {};
  #lastStoreErrorAt: number | undefined;
  #running = false;
  #loops: Promise<void>[] = [];
  #acknowledged = 0;
  #firstErrorAt: number | undefined;
  #lastErrorAt: number | undefined;
  #lastAckAt = 0;
  #longestGapMs = 0;

  constructor(urls: readonly string[], options: { clients?: number; keysPerSession?: number } = {}) {
    this.#urls = urls;
    this.#clients = options.clients ?? 40;
    this.#keysPerSession = options.keysPerSession ?? 40;
  }

  start(): void {
    this.#running = true;
    this.#lastAckAt = Date.now();
    for (let i = 0; i < this.#clients; i++) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      this.#agents.push(agent);
      this.#loops.push(this.#client(i, agent));
    }
  }

  /** Stops after the requests in flight have answered. */
  async stop(): Promise<LoadReport> {
    this.#running = false;
    await Promise.all(this.#loops);
    for (const agent of this.#agents) agent.destroy();
    return this.report();
  }

  report(): LoadReport {
    return {
      acknowledged: this.#acknowledged,
      statuses: { ...this.#statuses },
      firstErrorAt: this.#firstErrorAt,
      lastErrorAt: this.#lastErrorAt,
      longestGapMs: this.#longestGapMs,
      errorBodies: [...this.#errorBodies],
      lastStoreErrorAt: this.#lastStoreErrorAt,
      causes: { ...this.#causes },
    };
  }

  /** Acknowledged writes since `since` (ms since the epoch) — whether writes succeed again. */
  acknowledgedSince(since: number): boolean {
    return this.#lastAckAt >= since;
  }

  async #client(index: number, agent: Agent): Promise<void> {
    const base = this.#urls[index % this.#urls.length]!;
    let trail: SessionTrail | undefined;
    let n = 0;
    while (this.#running) {
      const key = `c${index}k${n++}`;
      let answer: Answer;
      try {
        answer = await post(agent, new URL(`/session/${key}`, base), trail?.cookie, JSON.stringify({ v: n }));
      } catch {
        this.#count(0, 'no-answer');
        await sleep(50);
        continue;
      }
      this.#count(answer.status, answer.body);
      if (answer.status !== 200) {
        if (this.#errorBodies.size < 10)
          this.#errorBodies.add(`${answer.status} ${answer.body.slice(0, 200)}`);
        // Retry-After says 1 s; a shorter pause keeps the load on while the store recovers.
        await sleep(50);
        continue;
      }
      this.#acknowledged++;
      const now = Date.now();
      this.#longestGapMs = Math.max(this.#longestGapMs, now - this.#lastAckAt);
      this.#lastAckAt = now;
      // A new cookie on an existing trail means the server found no session: a new one began.
      if (!trail || (answer.cookie && answer.cookie !== trail.cookie)) {
        trail = { cookie: answer.cookie ?? '', keys: new Map() };
        this.#trails.push(trail);
      }
      trail.keys.set(key, n);
      if (trail.keys.size >= this.#keysPerSession) trail = undefined;
    }
  }

  #count(status: number, body: string): void {
    this.#statuses[status] = (this.#statuses[status] ?? 0) + 1;
    if (status === 200) return;
    const now = Date.now();
    this.#firstErrorAt ??= now;
    this.#lastErrorAt = now;
    const code = /LBKIT_SESSION_[A-Z_]+/.exec(body)?.[0];
    const shed = /"reason":"([\w-]+)"/.exec(body)?.[1];
    const cause = code ?? (shed ? `shed:${shed}` : body === 'no-answer' ? 'no-answer' : `status:${status}`);
    this.#causes[cause] = (this.#causes[cause] ?? 0) + 1;
    if (!shed) this.#lastStoreErrorAt = now;
  }

  /** Reads every session back through the apps and counts the acknowledged keys it lacks. */
  async readBack(): Promise<ReadBack> {
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    let checked = 0;
    let lost = 0;
    try {
      const queue = [...this.#trails];
      const worker = async (): Promise<void> => {
        for (let trail = queue.pop(); trail; trail = queue.pop()) {
          const data = await this.#read(agent, trail);
          for (const [key, value] of trail.keys) {
            checked++;
            if ((data?.[key] as { v?: unknown } | undefined)?.v !== value) lost++;
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
    } finally {
      agent.destroy();
    }
    return { sessions: this.#trails.length, checked, lost };
  }

  async #read(agent: Agent, trail: SessionTrail): Promise<Record<string, unknown> | undefined> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const answer = await post(agent, new URL('/session/readback', this.#urls[0]), trail.cookie, '{}').catch(
        () => undefined,
      );
      if (answer?.status === 200) {
        // A new cookie: the session was not found, so nothing of it survived.
        if (answer.cookie && answer.cookie !== trail.cookie) return undefined;
        return JSON.parse(answer.body) as Record<string, unknown>;
      }
      await sleep(250);
    }
    throw new Error('read-back kept failing');
  }
}
