// Validates gracefulShutdown() options once, at startup, into the form the shutdown sequence reads.
import { Server as NetServer } from 'node:net';
import { constants } from 'node:os';
import { LbkitError, type Lifecycle } from '@lbkit/core';
import { lifecycleOption, MAX_TIMER_MS, OptionReader, show } from '@lbkit/core/internal';
import { checkBudgetOption } from './budget.js';
import type {
  CleanupHook,
  GracefulShutdownOptions,
  ShutdownLogger,
  ShutdownPhaseEvent,
  ShutdownRunOptions,
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
  readonly exitBySignal: boolean;
  readonly uncaughtDrainTimeoutMs: number | undefined;
  readonly ipc: boolean | 'auto';
  readonly markReadyOnListen: boolean;
  readonly logger: ShutdownLogger | undefined;
  readonly onPhase: ((event: ShutdownPhaseEvent) => void) | undefined;
  readonly stopAccepting: (() => unknown) | undefined;
}

// `satisfies` makes the compiler check these lists against the option types, both ways.
const KNOWN = Object.keys({
  lifecycle: true,
  signals: true,
  drainDelayMs: true,
  drainTimeoutMs: true,
  keepAliveDuringDelay: true,
  hooks: true,
  hookTimeoutMs: true,
  webSockets: true,
  closeUpgraded: true,
  exit: true,
  exitBySignal: true,
  handleUncaught: true,
  ipc: true,
  markReadyOnListen: true,
  logger: true,
  onPhase: true,
  stopAccepting: true,
  budget: true,
} satisfies Record<keyof GracefulShutdownOptions, true>);
const HOOK_KEYS = Object.keys({ name: true, run: true, timeoutMs: true } satisfies Record<
  keyof CleanupHook,
  true
>);
const UNCAUGHT_KEYS = ['drainTimeoutMs'];
const RUN_KEYS = Object.keys({ skipDelay: true, drainTimeoutMs: true } satisfies Record<
  keyof ShutdownRunOptions,
  true
>);
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP']);

/** Throws `LBKIT_SHUTDOWN_DURATION_INVALID` unless `key` is left out or a whole number of ms a timer can hold. */
export function duration<T extends object>(
  options: OptionReader<T>,
  key: keyof T & string,
  fallback: number,
): number {
  const value: unknown = options.get(key);
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TIMER_MS) {
    throw options.invalid(
      `${options.name(key)} must be a whole number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${show(value)}`,
      `Pass an integer number of milliseconds, for example ${options.name(key)}: ${fallback || 1000}.`,
      'LBKIT_SHUTDOWN_DURATION_INVALID',
    );
  }
  return value;
}

/** Throws `LBKIT_SHUTDOWN_SIGNAL_INVALID` for names the OS does not know or that cannot be caught. */
export function signalList<T extends object>(
  options: OptionReader<T>,
  key: keyof T & string,
  fallback: readonly NodeJS.Signals[],
): NodeJS.Signals[] {
  const value: unknown = options.get(key);
  if (value === undefined) return [...fallback];
  const list: unknown[] = Array.isArray(value) ? value : [value];
  for (const signal of list) {
    if (typeof signal !== 'string' || !(signal in constants.signals) || UNCATCHABLE.has(signal)) {
      throw options.invalid(
        `${options.name(key)} contains ${show(signal)}, which is not a signal that can be handled`,
        'Use catchable signal names such as SIGTERM, SIGINT or SIGHUP (SIGKILL and SIGSTOP cannot be handled).',
        'LBKIT_SHUTDOWN_SIGNAL_INVALID',
      );
    }
  }
  return [...new Set(list as NodeJS.Signals[])];
}

/** Throws `LBKIT_SHUTDOWN_OPTION_INVALID` unless `key` is left out or a logger with info, warn and error. */
export function loggerOption<T extends object>(
  options: OptionReader<T>,
  key: keyof T & string,
): ShutdownLogger | undefined {
  const value: unknown = options.get(key);
  if (value === undefined) return undefined;
  const logger = value as Partial<Record<keyof ShutdownLogger, unknown>> | null;
  if (
    typeof logger !== 'object' ||
    logger === null ||
    typeof logger.info !== 'function' ||
    typeof logger.warn !== 'function' ||
    typeof logger.error !== 'function'
  ) {
    throw options.invalid(
      `${options.name(key)} must have info, warn and error methods, got ${show(value)}`,
      `Pass console, or a logger such as pino's: ${options.name(key)}: console.`,
    );
  }
  return value as ShutdownLogger;
}

/**
 * Throws `LBKIT_SHUTDOWN_HOOK_INVALID` unless `hook` has a name and a run function, and
 * `LBKIT_SHUTDOWN_OPTION_UNKNOWN` for any other key (`{ name, runn }`).
 */
export function checkHook(hook: unknown, path = 'hook', owner = 'addHook()'): CleanupHook {
  const candidate = hook as Partial<Record<keyof CleanupHook, unknown>> | null | undefined;
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    throw new LbkitError(
      'LBKIT_SHUTDOWN_HOOK_INVALID',
      `${owner}: ${path} must be { name, run }, got ${show(hook)}`,
      { hint: "Pass { name: 'redis', run: () => redis.quit() }, optionally with timeoutMs." },
    );
  }
  const options = new OptionReader<CleanupHook>('SHUTDOWN', owner, candidate, HOOK_KEYS, path);
  if (typeof candidate.name !== 'string' || candidate.name === '' || typeof candidate.run !== 'function') {
    throw options.invalid(
      `${path} needs a name and a run function`,
      "Pass { name: 'redis', run: () => redis.quit() }, optionally with timeoutMs.",
      'LBKIT_SHUTDOWN_HOOK_INVALID',
    );
  }
  duration(options, 'timeoutMs', 0);
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

function listOf(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...value] : [value];
}

function webSocketsOption(options: OptionReader<GracefulShutdownOptions>): WebSocketServerLike[] {
  const webSockets = listOf(options.get('webSockets'));
  for (const wss of webSockets) {
    if (typeof wss !== 'object' || wss === null || !((wss as WebSocketServerLike).clients instanceof Set)) {
      throw options.invalid(
        `webSockets expects ws WebSocketServer instances, got ${show(wss)}`,
        'Pass new WebSocketServer(...) from the ws package, created with clientTracking on (its default).',
        'LBKIT_SHUTDOWN_WEBSOCKET_SERVER_INVALID',
      );
    }
  }
  return webSockets as WebSocketServerLike[];
}

function closeUpgradedOption(options: OptionReader<GracefulShutdownOptions>): UpgradeCloser[] {
  const closeUpgraded = listOf(options.get('closeUpgraded'));
  const bad = closeUpgraded.findIndex((fn) => typeof fn !== 'function');
  if (bad >= 0) {
    throw options.invalid(
      `closeUpgraded expects functions, got ${show(closeUpgraded[bad])}`,
      'Pass a function that closes your upgraded connections, for example () => io.close().',
      'LBKIT_SHUTDOWN_HOOK_INVALID',
    );
  }
  return closeUpgraded as UpgradeCloser[];
}

function uncaughtOption(options: OptionReader<GracefulShutdownOptions>): number | undefined {
  const value: unknown = options.get('handleUncaught');
  if (value === undefined || value === false) return undefined;
  if (value === true) return 1000;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw options.invalid(
      `handleUncaught must be true, false or { drainTimeoutMs }, got ${show(value)}`,
      'Pass handleUncaught: true to drain for 1000 ms and exit 1 on an uncaught error.',
    );
  }
  return duration(
    options.nested<{ drainTimeoutMs?: number }>('handleUncaught', UNCAUGHT_KEYS),
    'drainTimeoutMs',
    1000,
  );
}

/** Applies defaults and validates; throws an `LbkitError` with a stable code on the first problem. */
export function resolveOptions(given?: GracefulShutdownOptions): ResolvedOptions {
  const options = new OptionReader<GracefulShutdownOptions>('SHUTDOWN', 'gracefulShutdown()', given, KNOWN);
  const ipc = options.oneOf('ipc', [true, false, 'auto'], 'auto');
  const drainDelayMs = duration(options, 'drainDelayMs', 0);
  const drainTimeoutMs = duration(options, 'drainTimeoutMs', 10_000);
  const hooks = listOf(options.get('hooks')).map((hook, i) =>
    checkHook(hook, `hooks[${i}]`, 'gracefulShutdown()'),
  );
  const hookTimeoutMs = duration(options, 'hookTimeoutMs', 5000);
  const hookTimeoutsMs = hooks.map((hook) => hook.timeoutMs ?? hookTimeoutMs);
  checkBudgetOption(options, 'budget', { drainDelayMs, drainTimeoutMs, hookTimeoutsMs });
  return {
    lifecycle: lifecycleOption(options),
    signals: signalList(options, 'signals', ['SIGTERM', 'SIGINT']),
    drainDelayMs,
    drainTimeoutMs,
    keepAliveDuringDelay: options.boolean('keepAliveDuringDelay', false),
    hooks,
    hookTimeoutMs,
    webSockets: webSocketsOption(options),
    closeUpgraded: closeUpgradedOption(options),
    exit: options.boolean('exit', true),
    exitBySignal: options.boolean('exitBySignal', false),
    uncaughtDrainTimeoutMs: uncaughtOption(options),
    ipc,
    markReadyOnListen: options.boolean('markReadyOnListen', false),
    logger: loggerOption(options, 'logger'),
    onPhase: options.function<(event: ShutdownPhaseEvent) => void>('onPhase'),
    stopAccepting: options.function<() => unknown>('stopAccepting'),
  };
}

/** Validates the options of a programmatic `shutdown()`. */
export function resolveRunOptions(given?: ShutdownRunOptions): ShutdownRunOptions {
  const options = new OptionReader<ShutdownRunOptions>('SHUTDOWN', 'shutdown()', given, RUN_KEYS);
  const skipDelay = options.boolean('skipDelay', false);
  const drainTimeoutMs =
    options.get('drainTimeoutMs') === undefined ? undefined : duration(options, 'drainTimeoutMs', 0);
  return drainTimeoutMs === undefined ? { skipDelay } : { skipDelay, drainTimeoutMs };
}
