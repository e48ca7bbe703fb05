// The demo's node:cluster primary: one worker per slot, drained, restarted or rolled on request, crashes respawned.
import cluster, { type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import { drainWorker, READY_MESSAGE } from '@lbkit/shutdown';
import { type InstanceStats, isStats } from './stats.js';

/** Where a worker is, from the primary's side. */
export type WorkerStatus = 'starting' | 'ready' | 'draining' | 'exited';

/** One worker process of a slot. */
export interface WorkerView {
  readonly slot: number;
  readonly generation: number;
  readonly pid: number | undefined;
  status: WorkerStatus;
  exitCode: number | null | undefined;
  stats: InstanceStats | undefined;
}

/** Events for the page's log. */
export interface SupervisorEvents {
  log: [string];
}

interface Entry extends WorkerView {
  readonly worker: Worker;
  planned: boolean;
  readonly ready: Promise<boolean>;
  readonly exited: Promise<void>;
}

/**
 * Keeps `count` slots. Unlike `clusterPrimary()` of @lbkit/shutdown (which the demo's behaviour
 * follows), it exposes per-slot control for the page: drain one instance out of the pool, restart
 * one without losing capacity (start the new one, wait for `ready`, then drain the old one), or
 * roll them all one after the other.
 */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly count: number;
  /** The latest lines of the log (also emitted as `log` events), for the page. */
  readonly recentLog: string[] = [];
  readonly #env: (slot: number, generation: number) => Record<string, string>;
  readonly #stopTimeoutMs: number;
  readonly #entries = new Set<Entry>();
  readonly #generations: number[];
  #stopping = false;
  #rolling: Promise<void> | undefined;
  #rollingSlot: number | undefined;

  constructor(options: {
    count: number;
    env: (slot: number, generation: number) => Record<string, string>;
    stopTimeoutMs: number;
  }) {
    super();
    this.count = options.count;
    this.#env = options.env;
    this.#stopTimeoutMs = options.stopTimeoutMs;
    this.#generations = new Array<number>(options.count).fill(0);
  }

  /** Every worker the page shows: live ones, and per slot the last exited one when nothing replaced it. */
  get workers(): readonly WorkerView[] {
    const all = [...this.#entries].sort((a, b) => a.slot - b.slot || a.generation - b.generation);
    return all;
  }

  /** The slot a roll is restarting now (0-based), or undefined when no roll runs. */
  get rollingSlot(): number | undefined {
    return this.#rollingSlot;
  }

  /** Starts every slot; resolves once all are ready (false if one exited first). */
  async start(): Promise<boolean> {
    const entries = Array.from({ length: this.count }, (_, slot) => this.#fork(slot));
    return (await Promise.all(entries.map((e) => e.ready))).every(Boolean);
  }

  /** Drains the slot's live workers out of the pool; the slot stays empty until `restart`. */
  async drain(slot: number): Promise<void> {
    await Promise.all(this.#live(slot).map((entry) => this.#drain(entry)));
  }

  /** Starts a new worker in the slot, waits until it is ready, then drains the old ones: capacity never drops. */
  async restart(slot: number): Promise<boolean> {
    if (this.#stopping) return false;
    const old = this.#live(slot);
    const fresh = this.#fork(slot);
    if (!(await fresh.ready)) {
      this.#say(`slot ${slot + 1}: the new worker did not become ready; the old one keeps serving`);
      return false;
    }
    await Promise.all(old.map((entry) => this.#drain(entry)));
    return true;
  }

  /** Restarts every slot, one after the other. Joins a roll in progress. */
  roll(): Promise<void> {
    this.#rolling ??= (async () => {
      this.#say('rolling restart of every instance');
      for (let slot = 0; slot < this.count && !this.#stopping; slot++) {
        this.#rollingSlot = slot;
        await this.restart(slot);
      }
      this.#say('rolling restart done');
    })().finally(() => {
      this.#rolling = undefined;
      this.#rollingSlot = undefined;
    });
    return this.#rolling;
  }

  /** Drains every worker; resolves once all have exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all([...this.#entries].filter((e) => e.status !== 'exited').map((e) => this.#drain(e)));
  }

  #say(line: string): void {
    this.recentLog.push(`${new Date().toISOString().slice(11, 19)} ${line}`);
    if (this.recentLog.length > 14) this.recentLog.shift();
    this.emit('log', line);
  }

  #live(slot: number): Entry[] {
    return [...this.#entries].filter(
      (e) => e.slot === slot && e.status !== 'exited' && e.status !== 'draining',
    );
  }

  #fork(slot: number): Entry {
    const generation = ++this.#generations[slot]!;
    const worker = cluster.fork(this.#env(slot, generation));
    let settleReady!: (ok: boolean) => void;
    let settleExit!: () => void;
    const entry: Entry = {
      slot,
      generation,
      pid: worker.process.pid,
      status: 'starting',
      exitCode: undefined,
      stats: undefined,
      worker,
      planned: false,
      ready: new Promise((resolve) => {
        settleReady = resolve;
      }),
      exited: new Promise((resolve) => {
        settleExit = resolve;
      }),
    };
    // A slot shows its newest workers: an exited one is forgotten once a newer one exists.
    for (const other of this.#entries)
      if (other.slot === slot && other.status === 'exited') this.#entries.delete(other);
    this.#entries.add(entry);
    this.#say(`slot ${slot + 1}: starting worker pid ${worker.process.pid}`);
    worker.on('message', (message: unknown) => {
      if (isStats(message)) {
        entry.stats = message;
        return;
      }
      if (message === READY_MESSAGE && entry.status === 'starting') {
        entry.status = 'ready';
        settleReady(true);
        this.#say(`slot ${slot + 1}: pid ${worker.process.pid} ready`);
      }
    });
    worker.once('exit', (code, signal) => {
      entry.status = 'exited';
      entry.exitCode = code;
      settleReady(false);
      settleExit();
      this.#say(`slot ${slot + 1}: pid ${worker.process.pid} exited (${signal ?? `code ${code}`})`);
      if (!entry.planned && !this.#stopping) {
        this.#say(`slot ${slot + 1}: unexpected exit, starting a replacement`);
        setTimeout(() => {
          if (!this.#stopping && this.#live(slot).length === 0) this.#fork(slot);
        }, 500);
      }
    });
    return entry;
  }

  /** Asks a worker to drain over IPC (gracefulShutdown's `shutdown` message), SIGKILL after the stop timeout. */
  async #drain(entry: Entry): Promise<void> {
    if (entry.status === 'exited') return;
    entry.planned = true;
    if (entry.status !== 'draining') this.#say(`slot ${entry.slot + 1}: draining pid ${entry.pid}`);
    entry.status = 'draining';
    if (!(await drainWorker(entry.worker, entry.exited, this.#stopTimeoutMs))) {
      this.#say(`slot ${entry.slot + 1}: pid ${entry.pid} did not exit in time, it was killed`);
    }
  }
}
