// clusterPrimary(): a node:cluster primary with zero-downtime rolling reloads and backoff respawns.
import cluster, { type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { LbkitError } from '@lbkit/core';
import { withTimeout } from '@lbkit/core/internal';
import { connectionBalancer } from './cluster-handoff.js';
import { BALANCE_ENV } from './cluster-messages.js';
import { type ResolvedPrimaryOptions, resolvePrimaryOptions } from './cluster-options.js';
import { drainWorker } from './drain-worker.js';
import { READY_MESSAGE } from './process-manager.js';
import { type ResolvedBackoff, respawnDelay } from './respawn-backoff.js';
import type {
  ClusterPrimary,
  ClusterPrimaryEvents,
  ClusterPrimaryOptions,
  ClusterWorkerInfo,
  ConnectionBalancer,
  ReloadResult,
  ShutdownLogger,
} from './types.js';

interface Entry {
  readonly slot: number;
  readonly worker: Worker;
  state: 'starting' | 'ready' | 'draining';
  planned: boolean;
  readyAt: number | undefined;
  exitCode: number | null | undefined;
  readonly readyOrExit: Promise<boolean>;
  readonly exited: Promise<void>;
}

/**
 * Forks `workers` workers and keeps them: a worker that dies unexpectedly is replaced after an
 * exponential backoff; `reload()` (or SIGHUP) replaces them one by one without dropping capacity;
 * SIGTERM/SIGINT drain them all. Workers use `gracefulShutdown()`, which sends `ready` when
 * listening and drains on the primary's `shutdown` message. With a `balance` other than
 * `round-robin` the primary listens on `port` itself and hands each connection to the ready worker
 * the policy picks; workers then serve with `clusterWorker()`. Throws
 * `LBKIT_SHUTDOWN_CLUSTER_NOT_PRIMARY` in a worker.
 */
export function clusterPrimary(options: ClusterPrimaryOptions = {}): ClusterPrimary {
  if (!cluster.isPrimary) {
    throw new LbkitError(
      'LBKIT_SHUTDOWN_CLUSTER_NOT_PRIMARY',
      'clusterPrimary() runs in the primary process only',
      {
        hint: 'Branch on cluster.isPrimary: the primary calls clusterPrimary(), workers start the server with gracefulShutdown().',
      },
    );
  }
  return new Primary(resolvePrimaryOptions(options));
}

class Primary extends EventEmitter<ClusterPrimaryEvents> implements ClusterPrimary {
  readonly ready: Promise<void>;
  readonly #count: number;
  readonly #env: (slot: number) => Record<string, string>;
  readonly #readyTimeoutMs: number;
  readonly #stopTimeoutMs: number;
  readonly #backoff: ResolvedBackoff;
  readonly #exit: boolean;
  readonly #logger: ShutdownLogger | undefined;
  readonly #live = new Set<Entry>();
  readonly #failures: number[];
  readonly #respawnTimers = new Set<NodeJS.Timeout>();
  readonly #removeSignals: Array<() => void> = [];
  readonly #balance: ResolvedPrimaryOptions['balance'];
  readonly #handoff: ConnectionBalancer | undefined;
  #resolveReady!: () => void;
  #reloading: Promise<ReloadResult> | undefined;
  #stopping: Promise<0 | 1> | undefined;

  constructor(options: ResolvedPrimaryOptions) {
    super();
    const count = options.workers;
    this.#count = count;
    this.#env = options.env;
    this.#readyTimeoutMs = options.readyTimeoutMs;
    this.#stopTimeoutMs = options.stopTimeoutMs;
    this.#backoff = options.backoff;
    this.#exit = options.exit;
    this.#logger = options.logger;
    this.#failures = new Array<number>(count).fill(0);
    const { reloadSignal } = options;
    if (reloadSignal !== false) this.#onProcess(reloadSignal, () => void this.reload());
    for (const signal of options.signals) this.#onProcess(signal, () => this.#onStopSignal(signal));
    this.#balance = options.balance;
    const slotsReady = new Promise<void>((resolve) => {
      this.#resolveReady = resolve;
    });
    if (options.listen) {
      const handoff = connectionBalancer({
        balance: options.balance,
        port: options.listen.port,
        ...(options.listen.host === undefined ? {} : { host: options.listen.host }),
        workers: () => this.#targets(),
        // A connection waits for a ready worker as long as a replacement may take to get ready.
        pendingTimeoutMs: options.readyTimeoutMs,
        ...(options.logger ? { logger: options.logger } : {}),
      });
      this.#handoff = handoff;
      const listening = handoff.ready.catch((error: unknown) => {
        this.#log('error', 'cluster: the primary cannot listen', { error: String(error) });
        throw error;
      });
      this.ready = Promise.all([slotsReady, listening]).then(() => undefined);
    } else this.ready = slotsReady;
    for (let slot = 0; slot < count; slot++) this.#fork(slot);
  }

  /** The port the primary listens on, when it owns the listening socket (`balance` other than round-robin). */
  get port(): number | undefined {
    return this.#handoff?.port;
  }

  /** The workers that may take a new connection now: ready (not starting, not draining). */
  #targets(): Entry[] {
    return [...this.#live].filter((entry) => entry.state === 'ready');
  }

  get workers(): readonly ClusterWorkerInfo[] {
    return [...this.#live].map(info);
  }

  reload(): Promise<ReloadResult> {
    this.#reloading ??= this.#rollingReload().finally(() => {
      this.#reloading = undefined;
    });
    return this.#reloading;
  }

  stop(): Promise<0 | 1> {
    this.#stopping ??= (async () => {
      for (const timer of this.#respawnTimers) clearTimeout(timer);
      this.#respawnTimers.clear();
      // No new connections: a primary that stops takes none it could not hand to a ready worker.
      this.#handoff?.close();
      const entries = [...this.#live];
      await Promise.all(entries.map((entry) => this.#drain(entry)));
      for (const remove of this.#removeSignals.splice(0)) remove();
      return entries.some((entry) => entry.exitCode !== 0) ? 1 : 0;
    })();
    return this.#stopping;
  }

  async #rollingReload(): Promise<ReloadResult> {
    let replaced = 0;
    this.#log('info', 'cluster: rolling reload started', { workers: this.#count });
    for (let slot = 0; slot < this.#count; slot++) {
      if (this.#stopping) return this.#reloaded({ ok: false, replaced, error: 'the primary is stopping' });
      const old = [...this.#live].filter((entry) => entry.slot === slot && !entry.planned);
      const fresh = this.#fork(slot);
      const ready = await withTimeout(fresh.readyOrExit, this.#readyTimeoutMs, false, { ref: true });
      if (!ready) {
        // Keep serving with the old worker: a replacement that cannot start must not take its place.
        fresh.planned = true;
        fresh.worker.process.kill('SIGKILL');
        return this.#reloaded({
          ok: false,
          replaced,
          error: `the new worker for slot ${slot} did not send ready within ${this.#readyTimeoutMs} ms`,
        });
      }
      await Promise.all(old.map((entry) => this.#drain(entry)));
      replaced++;
    }
    return this.#reloaded({ ok: true, replaced });
  }

  #reloaded(result: ReloadResult): ReloadResult {
    this.#log(result.ok ? 'info' : 'error', 'cluster: rolling reload finished', { ...result });
    this.emit('reloaded', result);
    return result;
  }

  #fork(slot: number): Entry {
    const worker = cluster.fork({ ...this.#env(slot), [BALANCE_ENV]: this.#balance });
    let settleReady!: (ok: boolean) => void;
    let settleExit!: () => void;
    const entry: Entry = {
      slot,
      worker,
      state: 'starting',
      planned: false,
      readyAt: undefined,
      exitCode: undefined,
      readyOrExit: new Promise((resolve) => {
        settleReady = resolve;
      }),
      exited: new Promise((resolve) => {
        settleExit = resolve;
      }),
    };
    this.#live.add(entry);
    worker.on('message', (message: unknown) => {
      // Load reports go to the balancer; messages that are not ours (an app's, @lbkit/metrics') to their listeners.
      if (message !== READY_MESSAGE || entry.state !== 'starting') return;
      entry.state = 'ready';
      entry.readyAt = performance.now();
      settleReady(true);
      this.#log('info', 'cluster: worker ready', { slot, pid: worker.process.pid });
      if (this.#handoff) {
        this.#handoff.flush();
        this.#warnIfSilent(entry, this.#handoff);
      }
      this.emit('ready', info(entry));
      if (this.#allSlotsReady()) this.#resolveReady();
    });
    worker.once('exit', (code, signal) => {
      entry.exitCode = code;
      this.#live.delete(entry);
      settleReady(false);
      settleExit();
      this.emit('exit', { ...info(entry), code, signal, planned: entry.planned });
      if (!entry.planned && !this.#stopping) this.#respawn(entry, code, signal);
    });
    return entry;
  }

  /** A ready worker that never reports gets no connection: say why, once. */
  #warnIfSilent(entry: Entry, handoff: ConnectionBalancer): void {
    setTimeout(() => {
      if (handoff.reporting(entry.worker) || entry.exitCode !== undefined) return;
      this.#log(
        'warn',
        'cluster: a ready worker takes no connections from the primary; serve with clusterWorker()',
        {
          slot: entry.slot,
          pid: entry.worker.process.pid,
          balance: this.#balance,
        },
      );
    }, 1000).unref();
  }

  #respawn(entry: Entry, code: number | null, signal: string | null): void {
    // During a reload the slot may already have its replacement.
    if ([...this.#live].some((other) => other.slot === entry.slot && !other.planned)) return;
    const stable =
      entry.readyAt !== undefined && performance.now() - entry.readyAt >= this.#backoff.resetAfterMs;
    const attempt = stable ? 1 : (this.#failures[entry.slot] ?? 0) + 1;
    this.#failures[entry.slot] = attempt;
    const delayMs = respawnDelay(attempt, this.#backoff);
    this.#log('warn', 'cluster: worker died, replacing it', {
      slot: entry.slot,
      code,
      signal,
      delayMs,
      attempt,
    });
    this.emit('respawn', { slot: entry.slot, delayMs, attempt });
    // Ref'd on purpose: a supervising primary must outlive its workers to replace them.
    const timer = setTimeout(() => {
      this.#respawnTimers.delete(timer);
      if (!this.#stopping) this.#fork(entry.slot);
    }, delayMs);
    this.#respawnTimers.add(timer);
  }

  /** Asks a worker to drain (IPC `shutdown`, so a terminal's SIGINT to the whole group is not a second signal). */
  async #drain(entry: Entry): Promise<void> {
    if (entry.exitCode !== undefined) return;
    entry.planned = true;
    entry.state = 'draining';
    if (!(await drainWorker(entry.worker, entry.exited, this.#stopTimeoutMs))) {
      this.#log('warn', 'cluster: worker did not exit in time, it was killed', {
        slot: entry.slot,
        pid: entry.worker.process.pid,
      });
    }
  }

  #allSlotsReady(): boolean {
    for (let slot = 0; slot < this.#count; slot++) {
      if (![...this.#live].some((entry) => entry.slot === slot && entry.state === 'ready')) return false;
    }
    return true;
  }

  #onStopSignal(signal: NodeJS.Signals): void {
    if (this.#stopping) {
      this.#log('warn', `cluster: second signal ${signal}, exiting at once`, {});
      // Each worker is draining already; a signal makes it exit at once too.
      for (const entry of this.#live) entry.worker.process.kill('SIGTERM');
      if (this.#exit) process.exit(1);
      return;
    }
    this.#log('info', `cluster: ${signal}, draining every worker`, { workers: this.#live.size });
    void this.stop().then((code) => {
      if (this.#exit) process.exit(code);
    });
  }

  #onProcess(signal: NodeJS.Signals, listener: () => void): void {
    process.on(signal, listener);
    this.#removeSignals.push(() => process.off(signal, listener));
  }

  #log(level: 'info' | 'warn' | 'error', message: string, details: Record<string, unknown>): void {
    try {
      this.#logger?.[level](message, details);
    } catch {
      // A broken logger must not break supervision.
    }
  }
}

function info(entry: Entry): ClusterWorkerInfo {
  return { slot: entry.slot, id: entry.worker.id, pid: entry.worker.process.pid, state: entry.state };
}
