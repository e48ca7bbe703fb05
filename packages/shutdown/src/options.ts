// Validates gracefulShutdown() options once, at startup, into the form the shutdown sequence reads.
import { Server as NetServer } from 'node:net';
import { constants } from 'node:os';
import { defaultLifecycle, LbkitError, type Lifecycle } from '@lbkit/core';
import type {
  CleanupHook,
  GracefulShutdownOptions,
  ShutdownLogger,
  ShutdownPhaseEvent,
  ShutdownServer,
  UpgradeCloser,
  WebSocketServerLike,
} from './types.js';

/** Options with every default applied. */
export interface ResolvedOptions {
  readonly lifecycle: Lifecycle;
  readonly signals: readonly NodeJS.Signals[];
  readonly drainDelayMs: number;
  readonly drainTimeoutMs: number;
  readonly keepAliveDuringDelay: boolean;
  readonly hooks: readonly CleanupHook[];
  readonly hookTimeoutMs: number;
  readonly webSockets: readonly WebSocketServerLike[];
  readonly closeUpgraded: readonly UpgradeCloser[];
  readonly exit: boolean;
  readonly uncaughtDrainTimeoutMs: number | undefined;
  readonly ipc: boolean | 'auto';
  readonly markReadyOnListen: boolean;
  readonly logger: ShutdownLogger | undefined;
  readonly onPhase: ((event: ShutdownPhaseEvent) => void) | undefined;
  readonly stopAccepting: (() => unknown) | undefined;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP']);

/** Throws `LBKIT_SHUTDOWN_DURATION_INVALID` unless `value` is a whole number of ms a timer can hold. */
export function duration(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new LbkitError(
      'LBKIT_SHUTDOWN_DURATION_INVALID',
      `${name} must be a whole number of milliseconds`,
      {
        hint: `Pass an integer from 0 to ${MAX_TIMER_MS}; got ${String(value)}.`,
      },
    );
  }
  return value;
}

/** Throws `LBKIT_SHUTDOWN_SIGNAL_INVALID` for names the OS does not know or that cannot be caught. */
export function signalList(
  name: string,
  value: unknown,
  fallback: readonly NodeJS.Signals[],
): NodeJS.Signals[] {
  if (value === undefined) return [...fallback];
  const list = Array.isArray(value) ? value : [value];
  for (const signal of list) {
    if (typeof signal !== 'string' || !(signal in constants.signals) || UNCATCHABLE.has(signal)) {
      throw new LbkitError('LBKIT_SHUTDOWN_SIGNAL_INVALID', `${name} contains ${String(signal)}`, {
        hint: 'Use catchable signal names such as SIGTERM, SIGINT or SIGHUP (SIGKILL and SIGSTOP cannot be handled).',
      });
    }
  }
  return [...new Set(list as NodeJS.Signals[])];
}

/** Throws `LBKIT_SHUTDOWN_HOOK_INVALID` unless `hook` has a name and a run function. */
export function checkHook(hook: unknown): CleanupHook {
  const candidate = hook as Partial<CleanupHook> | undefined;
  if (
    !candidate ||
    typeof candidate.name !== 'string' ||
    candidate.name === '' ||
    typeof candidate.run !== 'function'
  ) {
    throw new LbkitError('LBKIT_SHUTDOWN_HOOK_INVALID', 'a cleanup hook needs a name and a run function', {
      hint: "Pass { name: 'redis', run: () => redis.quit() }, optionally with timeoutMs.",
    });
  }
  duration(`timeoutMs of hook ${candidate.name}`, candidate.timeoutMs, 0);
  return candidate as CleanupHook;
}

/** Throws `LBKIT_SHUTDOWN_SERVER_INVALID` unless every entry is a listening-capable node server. */
export function checkServers(value: unknown): ShutdownServer[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) {
    throw new LbkitError('LBKIT_SHUTDOWN_SERVER_INVALID', 'gracefulShutdown() needs at least one server', {
      hint: 'Pass the server returned by app.listen(), http.createServer() or fastify.server.',
    });
  }
  for (const server of list) {
    if (server instanceof NetServer) continue;
    const looksLikeFastify = server !== null && typeof server === 'object' && 'server' in server;
    throw new LbkitError(
      'LBKIT_SHUTDOWN_SERVER_INVALID',
      'gracefulShutdown() was given something that is not a server',
      {
        hint: looksLikeFastify
          ? 'For Fastify register shutdownPlugin from @lbkit/fastify, or pass fastify.server.'
          : typeof server === 'function'
            ? 'An Express app is a request handler: pass the server that app.listen() returns.'
            : 'Pass an http, https or http2 server.',
      },
    );
  }
  if (new Set(list).size !== list.length) {
    throw new LbkitError('LBKIT_SHUTDOWN_SERVER_ALREADY_ATTACHED', 'the same server was passed twice', {
      hint: 'List each server once.',
    });
  }
  return list as ShutdownServer[];
}

function listOf<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...value] : [value as T];
}

/** Applies defaults and validates; throws an `LbkitError` with a stable code on the first problem. */
export function resolveOptions(options: GracefulShutdownOptions = {}): ResolvedOptions {
  const webSockets = listOf(options.webSockets);
  for (const wss of webSockets) {
    if (!wss || !(wss.clients instanceof Set)) {
      throw new LbkitError(
        'LBKIT_SHUTDOWN_WEBSOCKET_SERVER_INVALID',
        'webSockets expects ws WebSocketServer instances',
        {
          hint: 'Pass new WebSocketServer(...) from the ws package, created with clientTracking on (its default).',
        },
      );
    }
  }
  const closeUpgraded = listOf(options.closeUpgraded);
  if (closeUpgraded.some((fn) => typeof fn !== 'function')) {
    throw new LbkitError('LBKIT_SHUTDOWN_HOOK_INVALID', 'closeUpgraded expects functions', {
      hint: 'Pass a function that closes your upgraded connections, for example () => io.close().',
    });
  }
  const uncaught = options.handleUncaught;
  const uncaughtDrainTimeoutMs =
    uncaught === undefined || uncaught === false
      ? undefined
      : duration(
          'handleUncaught.drainTimeoutMs',
          uncaught === true ? undefined : uncaught.drainTimeoutMs,
          1000,
        );
  if (options.ipc !== undefined && options.ipc !== 'auto' && typeof options.ipc !== 'boolean') {
    throw new LbkitError('LBKIT_SHUTDOWN_OPTION_INVALID', 'ipc must be true, false or "auto"', {
      hint: 'Leave it out to talk to PM2 or a cluster primary only when running under one.',
    });
  }
  return {
    lifecycle: options.lifecycle ?? defaultLifecycle(),
    signals: signalList('signals', options.signals, ['SIGTERM', 'SIGINT']),
    drainDelayMs: duration('drainDelayMs', options.drainDelayMs, 0),
    drainTimeoutMs: duration('drainTimeoutMs', options.drainTimeoutMs, 10_000),
    keepAliveDuringDelay: options.keepAliveDuringDelay === true,
    hooks: listOf(options.hooks).map(checkHook),
    hookTimeoutMs: duration('hookTimeoutMs', options.hookTimeoutMs, 5000),
    webSockets,
    closeUpgraded,
    exit: options.exit !== false,
    uncaughtDrainTimeoutMs,
    ipc: options.ipc ?? 'auto',
    markReadyOnListen: options.markReadyOnListen === true,
    logger: options.logger,
    onPhase: options.onPhase,
    stopAccepting: options.stopAccepting,
  };
}
