// Unknown, misspelled and mistyped options of every @lbkit/shutdown entry point are refused at startup.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { clusterPrimary, gracefulShutdown } from '@lbkit/shutdown';
import { afterEach, describe, expect, it } from 'vitest';
import { refusal as failure } from '../../../test/helpers/refusal.js';

/** In-process: no signals, no IPC, never exits. */
const quiet = { signals: [], ipc: false, exit: false } as const;

const servers: Server[] = [];
function server(): Server {
  const s = createServer();
  servers.push(s);
  return s;
}
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** Listener counts of everything gracefulShutdown() could attach to. */
function attachments(s: Server): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of ['request', 'connection', 'listening', 'close', 'upgrade', 'secureConnection']) {
    counts[`server:${event}`] = s.listenerCount(event);
  }
  for (const event of ['SIGTERM', 'SIGINT', 'message', 'uncaughtException', 'unhandledRejection']) {
    counts[`process:${event}`] = process.listenerCount(event);
  }
  return counts;
}

describe('gracefulShutdown() refuses unknown options with the closest known name', () => {
  it('drainDelay (not drainDelayMs) is refused before anything is attached to the server or the process', () => {
    const s = server();
    const before = attachments(s);
    const { code, message } = failure(() => gracefulShutdown(s, { ...quiet, drainDelay: 5000 } as never));
    expect(code).toBe('LBKIT_SHUTDOWN_OPTION_UNKNOWN');
    expect(message).toContain('unknown option "drainDelay" — did you mean "drainDelayMs"?');
    expect(attachments(s)).toEqual(before);
    // Nothing was attached, so a correct call still takes the server.
    gracefulShutdown(s, { ...quiet, lifecycle: new Lifecycle(), drainDelayMs: 5000 }).dispose();
  });

  it.each([
    [{ drainTimeout: 1000 }, 'drainTimeoutMs'],
    [{ hookTimeout: 1000 }, 'hookTimeoutMs'],
    [{ signal: ['SIGTERM'] }, 'signals'],
    [{ hook: [] }, 'hooks'],
    [{ keepAlive: true }, 'keepAliveDuringDelay'],
    [{ markReady: true }, 'markReadyOnListen'],
    [{ webSocket: [] }, 'webSockets'],
    [{ onphase: () => {} }, 'onPhase'],
    [{ handleUncaught: { drainTimeout: 500 } }, 'handleUncaught.drainTimeoutMs'],
    [{ hooks: [{ name: 'db', run: () => {}, timeout: 500 }] }, 'hooks[0].timeoutMs'],
    [{ hooks: [{ name: 'db', runn: () => {} }] }, 'hooks[0].run'],
  ])('%o → %s', (options, suggested) => {
    const { code, message } = failure(() => gracefulShutdown(server(), { ...quiet, ...(options as object) }));
    expect(code).toBe('LBKIT_SHUTDOWN_OPTION_UNKNOWN');
    expect(message).toContain(`did you mean "${suggested}"?`);
  });

  it('an option with no near name is refused with the list of known ones', () => {
    const { code, message } = failure(() => gracefulShutdown(server(), { ...quiet, banana: 1 } as never));
    expect(code).toBe('LBKIT_SHUTDOWN_OPTION_UNKNOWN');
    expect(message).not.toContain('did you mean');
    expect(message).toContain('drainDelayMs');
  });

  it('addHook() refuses a misspelled key of the hook', () => {
    const shutdown = gracefulShutdown(server(), { ...quiet, lifecycle: new Lifecycle() });
    const { code, message } = failure(() =>
      shutdown.addHook({ name: 'redis', run: () => {}, timeOutMs: 100 } as never),
    );
    shutdown.dispose();
    expect(code).toBe('LBKIT_SHUTDOWN_OPTION_UNKNOWN');
    expect(message).toContain('did you mean "hook.timeoutMs"?');
  });

  it('shutdown() refuses a misspelled run option instead of ignoring it', async () => {
    const shutdown = gracefulShutdown(server(), { ...quiet, lifecycle: new Lifecycle() });
    const { code, message } = failure(() => shutdown.shutdown('test', { skipdelay: true } as never));
    expect(code).toBe('LBKIT_SHUTDOWN_OPTION_UNKNOWN');
    expect(message).toContain('did you mean "skipDelay"?');
    expect(shutdown.state).toBe('idle');
    shutdown.dispose();
  });
});

describe('gracefulShutdown() refuses values of the wrong type', () => {
  it.each([
    ['options that are not an object', 5000, 'LBKIT_SHUTDOWN_OPTION_INVALID'],
    ['drainDelayMs as a string', { drainDelayMs: '5000' }, 'LBKIT_SHUTDOWN_DURATION_INVALID'],
    ['drainDelayMs past the largest timer', { drainDelayMs: 2 ** 31 }, 'LBKIT_SHUTDOWN_DURATION_INVALID'],
    ['exit as a string', { exit: 'no' }, 'LBKIT_SHUTDOWN_OPTION_INVALID'],
    ['keepAliveDuringDelay as a number', { keepAliveDuringDelay: 1 }, 'LBKIT_SHUTDOWN_OPTION_INVALID'],
    ['markReadyOnListen as a string', { markReadyOnListen: 'true' }, 'LBKIT_SHUTDOWN_OPTION_INVALID'],
    ['a logger without methods', { logger: {} }, 'LBKIT_SHUTDOWN_OPTION_INVALID'],
    ['onPhase that is not a function', { onPhase: 'log' }, 'LBKIT_SHUTDOWN_OPTION_INVALID'],
    ['stopAccepting that is not a function', { stopAccepting: true }, 'LBKIT_SHUTDOWN_OPTION_INVALID'],
    ['a lifecycle that is not one', { lifecycle: {} }, 'LBKIT_SHUTDOWN_OPTION_INVALID'],
    ['handleUncaught as a string', { handleUncaught: 'yes' }, 'LBKIT_SHUTDOWN_OPTION_INVALID'],
    [
      'handleUncaught.drainTimeoutMs negative',
      { handleUncaught: { drainTimeoutMs: -1 } },
      'LBKIT_SHUTDOWN_DURATION_INVALID',
    ],
    ['a hook that is a function', { hooks: [() => {}] }, 'LBKIT_SHUTDOWN_HOOK_INVALID'],
    [
      'a hook with a fractional timeout',
      { hooks: [{ name: 'x', run() {}, timeoutMs: 0.5 }] },
      'LBKIT_SHUTDOWN_DURATION_INVALID',
    ],
    ['closeUpgraded that is not a function', { closeUpgraded: ['io'] }, 'LBKIT_SHUTDOWN_HOOK_INVALID'],
  ])('%s', (_name, options, expected) => {
    const { code } = failure(() =>
      gracefulShutdown(server(), (typeof options === 'object' ? { ...quiet, ...options } : options) as never),
    );
    expect(code).toBe(expected);
  });

  it('shutdown() refuses a drainTimeoutMs that is not a duration', () => {
    const shutdown = gracefulShutdown(server(), { ...quiet, lifecycle: new Lifecycle() });
    expect(failure(() => shutdown.shutdown('test', { drainTimeoutMs: -5 })).code).toBe(
      'LBKIT_SHUTDOWN_DURATION_INVALID',
    );
    shutdown.dispose();
  });
});

describe('clusterPrimary() refuses unknown and mistyped options before forking', () => {
  it.each([
    [{ worker: 2 }, 'workers'],
    [{ readyTimeout: 1000 }, 'readyTimeoutMs'],
    [{ stopTimeout: 1000 }, 'stopTimeoutMs'],
    [{ reloadSignals: 'SIGHUP' }, 'reloadSignal'],
    [{ respawn: { initialDelay: 100 } }, 'respawn.initialDelayMs'],
    [{ respawn: { resetAfter: 100 } }, 'respawn.resetAfterMs'],
  ])('%o → %s', (options, suggested) => {
    const before = process.listenerCount('SIGHUP') + process.listenerCount('SIGTERM');
    const { code, message } = failure(() => clusterPrimary(options as never));
    expect(code).toBe('LBKIT_SHUTDOWN_OPTION_UNKNOWN');
    expect(message).toContain(`did you mean "${suggested}"?`);
    expect(process.listenerCount('SIGHUP') + process.listenerCount('SIGTERM')).toBe(before);
  });

  it.each([
    ['workers as a string', { workers: '4' }, 'LBKIT_SHUTDOWN_CLUSTER_WORKERS_INVALID'],
    ['env that is not a function', { env: { A: '1' } }, 'LBKIT_SHUTDOWN_OPTION_INVALID'],
    ['exit as a number', { exit: 0 }, 'LBKIT_SHUTDOWN_OPTION_INVALID'],
    ['reloadSignal SIGKILL', { reloadSignal: 'SIGKILL' }, 'LBKIT_SHUTDOWN_SIGNAL_INVALID'],
    ['reloadSignal as a list', { reloadSignal: ['SIGHUP'] }, 'LBKIT_SHUTDOWN_SIGNAL_INVALID'],
    ['respawn that is not an object', { respawn: 100 }, 'LBKIT_SHUTDOWN_OPTION_INVALID'],
    ['respawn.factor below 1', { respawn: { factor: 0.5 } }, 'LBKIT_SHUTDOWN_CLUSTER_BACKOFF_INVALID'],
    ['respawn.maxDelayMs as a string', { respawn: { maxDelayMs: '1s' } }, 'LBKIT_SHUTDOWN_DURATION_INVALID'],
    ['a logger without methods', { logger: { info() {} } }, 'LBKIT_SHUTDOWN_OPTION_INVALID'],
  ])('%s', (_name, options, expected) => {
    expect(failure(() => clusterPrimary(options as never)).code).toBe(expected);
  });
});

describe('gracefulShutdown() handed a request', () => {
  it('refuses a request given as its options with LBKIT_SHUTDOWN_FACTORY_NOT_CALLED', async () => {
    const listening = server();
    listening.on('request', (req, res) => {
      res.end(failure(() => gracefulShutdown(server(), req as never)).code);
    });
    listening.listen(0, '127.0.0.1');
    await once(listening, 'listening');
    const answer = await fetch(`http://127.0.0.1:${(listening.address() as AddressInfo).port}/`);
    expect(await answer.text()).toBe('LBKIT_SHUTDOWN_FACTORY_NOT_CALLED');
  });
});
