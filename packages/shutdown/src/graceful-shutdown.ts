// gracefulShutdown(): drives the lifecycle through drain, delay, connection draining, cleanup and exit.
import { EventEmitter } from 'node:events';
import { Server as NetServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type InFlightSnapshot, LbkitError, type Lifecycle } from '@lbkit/core';
import { brand } from '@lbkit/core/internal';
import { runHook } from './cleanup-hooks.js';
import { ConnectionActions } from './connections.js';
import { delay } from './delay.js';
import {
  checkHook,
  checkServers,
  type ResolvedOptions,
  resolveOptions,
  resolveRunOptions,
} from './options.js';
import { exitProcess } from './process-exit.js';
import { announceReady, useIpc } from './process-manager.js';
import { installTriggers } from './process-triggers.js';
import type {
  CleanupHook,
  GracefulShutdownOptions,
  Shutdown,
  ShutdownEvents,
  ShutdownPhase,
  ShutdownPhaseEvent,
  ShutdownResult,
  ShutdownRunOptions,
  ShutdownServer,
} from './types.js';
import { closeWebSockets, openWebSockets, terminateWebSockets } from './web-sockets.js';

/** How often the drain looks at its connections (sweeps idle ones, checks completion). */
const TICK_MS = 25;
/** After a force, how long to wait for the destroyed connections' close events. */
const FORCE_GRACE_MS = 1000;

const attached = new WeakSet<ShutdownServer>();

/**
 * Makes `server` (or several) shut down gracefully on SIGTERM/SIGINT or when `shutdown()` is
 * called: readiness fails at once, the listeners close after `drainDelayMs`, in-flight work
 * finishes (bounded by `drainTimeoutMs`), cleanup hooks run, and the process exits 0 — or 1 when
 * anything was forced or failed. Throws an `LbkitError` on misconfiguration.
 */
export function gracefulShutdown(
  server: ShutdownServer | readonly ShutdownServer[],
  options?: GracefulShutdownOptions,
): Shutdown {
  const servers = checkServers(server);
  const resolved = resolveOptions(options);
  for (const s of servers) {
    if (attached.has(s)) {
      throw new LbkitError(
        'LBKIT_SHUTDOWN_SERVER_ALREADY_ATTACHED',
        'this server already has a graceful shutdown',
        {
          hint: 'Call gracefulShutdown() once per server (or dispose() the first one); two would both exit the process.',
        },
      );
    }
  }
  return new GracefulShutdown(servers, resolved);
}

const SHUTDOWN = brand<Shutdown>('shutdown');

/** True when `value` was made by {@link gracefulShutdown}, by this copy of @lbkit/shutdown or another one. */
export function isShutdown(value: unknown): value is Shutdown {
  return SHUTDOWN.is(value);
}

class GracefulShutdown extends EventEmitter<ShutdownEvents> implements Shutdown {
  readonly lifecycle: Lifecycle;
  readonly finished: Promise<ShutdownResult>;
  readonly #servers: readonly ShutdownServer[];
  readonly #options: ResolvedOptions;
  readonly #connections: ConnectionActions;
  readonly #hooks: CleanupHook[];
  readonly #force = new AbortController();
  readonly #disposers: Array<() => void> = [];
  #resolveFinished!: (result: ShutdownResult) => void;
  #run: Promise<ShutdownResult> | undefined;
  #state: 'idle' | 'running' | 'done' = 'idle';
  #exitWhenDone = false;
  /** The signal that started the run, when one did and `exitBySignal` asks to end by it. */
  #exitSignal: NodeJS.Signals | undefined;
  #failed = false;
  #disposed = false;

  constructor(servers: readonly ShutdownServer[], options: ResolvedOptions) {
    super();
    SHUTDOWN.mark(this);
    this.#servers = servers;
    this.#options = options;
    this.lifecycle = options.lifecycle;
    this.#hooks = [...options.hooks];
    this.finished = new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
    for (const server of servers) {
      attached.add(server);
      this.#disposers.push(() => attached.delete(server));
      this.#disposers.push(this.lifecycle.inFlight.attach(server));
    }
    this.#connections = new ConnectionActions(this.lifecycle.inFlight, servers);
    this.#disposers.push(() => this.#connections.dispose());
    const ipc = useIpc(options.ipc);
    this.#disposers.push(
      announceReady(servers, this.lifecycle, { markReadyOnListen: options.markReadyOnListen, send: ipc }),
      installTriggers(
        { signals: options.signals, ipc, uncaught: options.uncaughtDrainTimeoutMs !== undefined },
        {
          signal: (signal) => this.#onSignal(signal),
          message: () => {
            if (this.#state === 'idle') void this.#start('shutdown-message', {}, options.exit);
          },
          uncaught: (error, origin) => this.#onUncaught(error, origin),
        },
      ),
    );
  }

  get state(): 'idle' | 'running' | 'done' {
    return this.#state;
  }

  shutdown(reason = 'manual', options: ShutdownRunOptions = {}): Promise<ShutdownResult> {
    return this.#start(reason, resolveRunOptions(options), false);
  }

  addHook(hook: CleanupHook): void {
    this.#hooks.push(checkHook(hook));
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const dispose of this.#disposers.splice(0)) dispose();
  }

  #start(reason: string, options: ShutdownRunOptions, exit: boolean): Promise<ShutdownResult> {
    if (exit) this.#exitWhenDone = true;
    this.#run ??= this.#sequence(reason, options)
      .catch((error: unknown): ShutdownResult => {
        // A bug or a throwing dependency must still end in a bounded exit, reported as a failure.
        this.#log('error', 'shutdown: the sequence failed', { error: String(error) });
        this.lifecycle.markStopped(reason);
        return {
          reason,
          exitCode: 1,
          forced: false,
          forcedRequests: 0,
          forcedConnections: 0,
          forcedHolds: 0,
          failedHooks: [],
          durationMs: 0,
          phases: [],
        };
      })
      .then((result) => {
        this.#state = 'done';
        this.dispose();
        this.#resolveFinished(result);
        // After the microtasks of whoever awaits `finished` (a last log line, a metric flush).
        if (this.#exitWhenDone) setImmediate(() => exitProcess(result, this.#exitSignal));
        return result;
      });
    return this.#run;
  }

  #onSignal(signal: NodeJS.Signals): void {
    if (this.#state === 'idle') {
      if (this.#options.exitBySignal) this.#exitSignal = signal;
      void this.#start(signal, {}, this.#options.exit);
      return;
    }
    // A second signal means the operator (or the orchestrator's kill timeout) is done waiting.
    this.#log('warn', `shutdown: second signal ${signal}, stopping at once`, { signal });
    if (this.#options.exit) process.exit(1);
    this.#force.abort();
  }

  #onUncaught(error: unknown, origin: 'uncaughtException' | 'unhandledRejection'): void {
    this.#failed = true;
    const details = {
      origin,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
    // Node would have printed it; with our listener installed nobody else does.
    if (this.#options.logger) this.#options.logger.error(`shutdown: ${origin}`, details);
    else console.error(`[lbkit/shutdown] ${origin}:`, error);
    this.#exitWhenDone = true;
    if (this.#state === 'idle') {
      void this.#start(
        origin,
        { skipDelay: true, drainTimeoutMs: this.#options.uncaughtDrainTimeoutMs },
        true,
      );
    }
  }

  async #sequence(reason: string, run: ShutdownRunOptions): Promise<ShutdownResult> {
    this.#state = 'running';
    const options = this.#options;
    // Timers hold the event loop only when this run ends in process.exit: its bounds must hold.
    const ref = this.#exitWhenDone;
    const started = performance.now();
    let stepStarted = started;
    const phases: ShutdownPhaseEvent[] = [];
    const mark = (phase: ShutdownPhase, extra: Partial<ShutdownPhaseEvent> = {}): void => {
      const now = performance.now();
      const event: ShutdownPhaseEvent = {
        phase,
        reason,
        elapsedMs: Math.round(now - started),
        durationMs: Math.round(now - stepStarted),
        inFlight: roundedSnapshot(this.lifecycle.inFlight.snapshot()),
        ...extra,
      };
      stepStarted = now;
      phases.push(event);
      this.#report(event);
    };

    // First, synchronously: Fastify's close() (direct path) calls http.Server#close() right after
    // its preClose hooks, one of which started this sequence.
    this.#connections.holdServerCloses();
    if (this.lifecycle.state !== 'stopped') this.lifecycle.beginDrain(reason);
    mark('draining');
    if (!options.keepAliveDuringDelay) this.#connections.retireKeepAlive();
    const delayMs = run.skipDelay ? 0 : options.drainDelayMs;
    const timeoutMs = run.drainTimeoutMs ?? options.drainTimeoutMs;
    // The latest the drain can end: health's Retry-After on a draining readiness reads it.
    this.lifecycle.holds?.endBy(performance.now() + delayMs + timeoutMs);
    if (delayMs > 0) await delay(delayMs, this.#force.signal, ref);
    mark('delay-elapsed');

    // In the check phase, right after the poll phase has read whatever arrived: a request whose
    // bytes are already here makes its socket active instead of being cut by the idle sweep.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#connections.goAway();
    this.#stopAccepting();
    closeWebSockets(options.webSockets);
    for (const closer of options.closeUpgraded) {
      Promise.resolve()
        .then(() => closer({ signal: this.#force.signal, reason }))
        .catch((error: unknown) =>
          this.#log('warn', 'shutdown: closeUpgraded failed', { error: String(error) }),
        );
    }
    mark('listeners-closed');

    let forcedRequests = 0;
    let forcedConnections = 0;
    let forcedHolds = 0;
    if (await this.#drained(timeoutMs, ref)) {
      mark('drained');
    } else {
      // Only what belongs to these servers: other servers on the same lifecycle are not this shutdown's.
      forcedRequests = this.#connections.unanswered;
      forcedConnections = this.#connections.known + sum(await this.#connections.unseen());
      const holds = this.lifecycle.holds?.list() ?? [];
      forcedHolds = holds.length;
      this.#connections.force();
      terminateWebSockets(options.webSockets);
      if (forcedHolds > 0) {
        this.#log('warn', 'shutdown: drain holds still live at the deadline', {
          holds: holds.map((hold) => hold.name),
        });
      }
      mark('forced', { forced: { requests: forcedRequests, connections: forcedConnections } });
      await this.#drained(FORCE_GRACE_MS, ref, false);
    }

    const failedHooks: string[] = [];
    for (const hook of [...this.#hooks].reverse()) {
      const outcome = await runHook(hook, reason, options.hookTimeoutMs, ref);
      if (outcome.outcome !== 'ok') failedHooks.push(hook.name);
      mark('hook', {
        hook: {
          name: outcome.name,
          outcome: outcome.outcome,
          ...(outcome.error === undefined ? {} : { error: outcome.error }),
        },
      });
    }

    this.lifecycle.markStopped(reason);
    const forced = forcedRequests > 0 || forcedConnections > 0 || forcedHolds > 0;
    const exitCode = forced || failedHooks.length > 0 || this.#failed ? 1 : 0;
    mark('stopped');
    return {
      reason,
      exitCode,
      forced,
      forcedRequests,
      forcedConnections,
      forcedHolds,
      failedHooks,
      durationMs: Math.round(performance.now() - started),
      phases,
    };
  }

  #stopAccepting(): void {
    const custom = this.#options.stopAccepting;
    if (custom) {
      Promise.resolve()
        .then(custom)
        .catch((error: unknown) =>
          this.#log('warn', 'shutdown: stopAccepting failed', { error: String(error) }),
        );
      return;
    }
    for (const server of this.#servers) {
      // Not http.Server#close(): since Node 19 it also destroys every idle socket on the spot,
      // including ones whose next request is already in the receive buffer. The idle sweep
      // closes idle sockets only once they have shown no new bytes for a grace period.
      if (server.listening) NetServer.prototype.close.call(server);
    }
  }

  /**
   * Resolves true once every accepted request is answered and every connection is gone, false at
   * `timeoutMs` or on a force. Both are asked: a connection count of zero says nothing about
   * requests whose connection someone else destroyed, and an idle connection still needs closing.
   * Both come from InFlight; Node's own count is asked only for connections InFlight never saw.
   */
  async #drained(timeoutMs: number, ref: boolean, abortable = true): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    // A server emits 'close' when its last connection is gone: look again at once instead of at the next tick.
    const wake = new AbortController();
    const onClose = (): void => wake.abort();
    for (const server of this.#servers) server.on('close', onClose);
    const signal = abortable ? AbortSignal.any([this.#force.signal, wake.signal]) : wake.signal;
    try {
      for (;;) {
        const unseen = await this.#connections.unseen();
        const listening = this.#servers.some((server) => server.listening);
        const done =
          !listening &&
          this.#connections.unanswered === 0 &&
          this.#connections.known === 0 &&
          sum(unseen) === 0 &&
          openWebSockets(this.#options.webSockets) === 0 &&
          // Work outside HTTP requests (lifecycle.hold(): queue jobs, cron tasks) holds the drain too.
          (this.lifecycle.holds?.count ?? 0) === 0;
        if (done) return true;
        this.#connections.sweep(unseen);
        closeWebSockets(this.#options.webSockets);
        const left = deadline - performance.now();
        if (left <= 0 || (abortable && this.#force.signal.aborted)) return false;
        const force = abortable ? this.#force.signal : undefined;
        await delay(Math.min(TICK_MS, left), wake.signal.aborted ? force : signal, ref);
      }
    } finally {
      for (const server of this.#servers) server.off('close', onClose);
    }
  }

  #report(event: ShutdownPhaseEvent): void {
    this.emit('phase', event);
    try {
      this.#options.onPhase?.(event);
    } catch (error) {
      this.#log('warn', 'shutdown: onPhase threw', { error: String(error) });
    }
    const { phase, elapsedMs, durationMs, inFlight, forced, hook } = event;
    const details: Record<string, unknown> = { reason: event.reason, elapsedMs, durationMs, ...inFlight };
    if (forced) this.#log('warn', `shutdown: ${phase}`, { ...details, forced });
    else if (hook && hook.outcome !== 'ok')
      this.#log('error', `shutdown: hook ${hook.name} ${hook.outcome}`, {
        ...details,
        error: String(hook.error),
      });
    else this.#log('info', hook ? `shutdown: hook ${hook.name} ok` : `shutdown: ${phase}`, details);
  }

  #log(level: 'info' | 'warn' | 'error', message: string, details: Record<string, unknown>): void {
    try {
      this.#options.logger?.[level](message, details);
    } catch {
      // A broken logger must not break the shutdown.
    }
  }
}

function roundedSnapshot(snapshot: InFlightSnapshot): InFlightSnapshot {
  return { ...snapshot, oldestRequestMs: Math.round(snapshot.oldestRequestMs) };
}

function sum(counts: Map<ShutdownServer, number>): number {
  let total = 0;
  for (const count of counts.values()) total += count;
  return total;
}
