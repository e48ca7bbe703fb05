// Cleanup hooks, lifecycle transitions, phase events and misconfiguration errors, in-process.
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLbkitError, Lifecycle } from '@lbkit/core';
import { gracefulShutdown, type ShutdownPhaseEvent } from '@lbkit/shutdown';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

const servers: Server[] = [];
async function listening(handler?: RequestListener): Promise<{ server: Server; port: number }> {
  const server = createServer(handler ?? ((_req, res) => res.end('ok')));
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/** In-process: no signals, no IPC, never exits. */
const quiet = { signals: [], ipc: false, exit: false } as const;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isLbkitError(error) ? error.code : `not an LbkitError: ${String(error)}`;
  }
  return undefined;
}

describe('cleanup hooks', () => {
  it('run in reverse registration order after the drain, each with its own timeout, and a hung one fails the exit code', async () => {
    const { server } = await listening();
    const ran: string[] = [];
    const shutdown = gracefulShutdown(server, {
      ...quiet,
      lifecycle: new Lifecycle(),
      hookTimeoutMs: 2000,
      hooks: [
        { name: 'database', run: () => void ran.push('database') },
        {
          name: 'queue',
          timeoutMs: 100,
          run: ({ signal }) =>
            new Promise<void>((resolve) =>
              signal.addEventListener('abort', () => {
                ran.push('queue aborted');
                resolve();
              }),
            ),
        },
      ],
    });
    shutdown.addHook({ name: 'redis', run: async () => void ran.push('redis') });
    const result = await shutdown.shutdown('test');
    expect(ran).toEqual(['redis', 'queue aborted', 'database']);
    expect(result.failedHooks).toEqual(['queue']);
    expect(result.exitCode).toBe(1);
    const hookEvents = result.phases
      .filter((p) => p.phase === 'hook')
      .map((p) => [p.hook?.name, p.hook?.outcome]);
    expect(hookEvents).toEqual([
      ['redis', 'ok'],
      ['queue', 'timeout'],
      ['database', 'ok'],
    ]);
  });

  it('a hook that ignores its abort signal is abandoned at its timeout and the next hook still runs', async () => {
    const { server } = await listening();
    const ran: string[] = [];
    const result = await gracefulShutdown(server, {
      ...quiet,
      lifecycle: new Lifecycle(),
      hooks: [
        { name: 'last', run: () => void ran.push('last') },
        { name: 'stuck', timeoutMs: 50, run: () => new Promise(() => {}) },
      ],
    }).shutdown();
    expect(ran).toEqual(['last']);
    expect(result.failedHooks).toEqual(['stuck']);
  });

  it('a hook that throws fails the exit code without stopping the others', async () => {
    const { server } = await listening();
    const result = await gracefulShutdown(server, {
      ...quiet,
      lifecycle: new Lifecycle(),
      hooks: [
        { name: 'ok', run: () => {} },
        {
          name: 'broken',
          run: () => {
            throw new Error('nope');
          },
        },
      ],
    }).shutdown();
    expect(result.failedHooks).toEqual(['broken']);
    expect(result.exitCode).toBe(1);
    expect(result.phases.find((p) => p.hook?.name === 'broken')?.hook?.error).toBeInstanceOf(Error);
  });
});

describe('lifecycle and phases', () => {
  it('moves the lifecycle to draining at once and to stopped at the end, with timed phases in order', async () => {
    const { server } = await listening();
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const seen: ShutdownPhaseEvent[] = [];
    const shutdown = gracefulShutdown(server, {
      ...quiet,
      lifecycle,
      drainDelayMs: 50,
      onPhase: (e) => seen.push(e),
    });
    const logged: string[] = [];
    shutdown.on('phase', (e) => logged.push(e.phase));
    const run = shutdown.shutdown('deploy');
    expect(lifecycle.state).toBe('draining');
    expect(shutdown.state).toBe('running');
    const result = await run;
    expect(lifecycle.state).toBe('stopped');
    expect(shutdown.state).toBe('done');
    expect(await shutdown.finished).toBe(result);
    expect(seen.map((e) => e.phase)).toEqual([
      'draining',
      'delay-elapsed',
      'listeners-closed',
      'drained',
      'stopped',
    ]);
    expect(logged).toEqual(seen.map((e) => e.phase));
    expect(seen[1]?.durationMs).toBeGreaterThanOrEqual(45);
    expect(seen.every((e) => e.reason === 'deploy')).toBe(true);
    expect(result).toMatchObject({ reason: 'deploy', exitCode: 0, forced: false, failedHooks: [] });
  });

  it('a second shutdown() joins the one running instead of starting another', async () => {
    const { server } = await listening();
    const hookRuns: number[] = [];
    const shutdown = gracefulShutdown(server, {
      ...quiet,
      lifecycle: new Lifecycle(),
      hooks: [{ name: 'once', run: () => void hookRuns.push(1) }],
    });
    const [a, b] = await Promise.all([shutdown.shutdown('a'), shutdown.shutdown('b')]);
    expect(a).toBe(b);
    expect(hookRuns).toEqual([1]);
  });

  it('marks the lifecycle ready once every server listens when markReadyOnListen is set', async () => {
    const lifecycle = new Lifecycle();
    const server = createServer();
    servers.push(server);
    gracefulShutdown(server, { ...quiet, lifecycle, markReadyOnListen: true });
    expect(lifecycle.state).toBe('starting');
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    expect(lifecycle.state).toBe('ready');
  });

  it('counts in-flight requests through lifecycle.inFlight', async () => {
    let release!: () => void;
    const { server, port } = await listening((_req, res) => {
      release = () => res.end('late');
    });
    const lifecycle = new Lifecycle();
    gracefulShutdown(server, { ...quiet, lifecycle });
    const pending = request(`http://127.0.0.1:${port}/`);
    await expect.poll(() => lifecycle.inFlight.requests).toBe(1);
    release();
    await (await pending).body.text();
    await expect.poll(() => lifecycle.inFlight.requests).toBe(0);
  });

  it('dispose() detaches so that another gracefulShutdown can take the server', async () => {
    const { server } = await listening();
    const first = gracefulShutdown(server, { ...quiet, lifecycle: new Lifecycle() });
    expect(codeOf(() => gracefulShutdown(server, { ...quiet }))).toBe(
      'LBKIT_SHUTDOWN_SERVER_ALREADY_ATTACHED',
    );
    first.dispose();
    expect(
      codeOf(() => gracefulShutdown(server, { ...quiet, lifecycle: new Lifecycle() }).dispose()),
    ).toBeUndefined();
  });
});

describe('upgrades and keep-alive during the delay', () => {
  it('calls each closeUpgraded closer once, when the listeners close, with the reason', async () => {
    const { server } = await listening();
    const calls: Array<[string, string]> = [];
    const shutdown = gracefulShutdown(server, {
      ...quiet,
      lifecycle: new Lifecycle(),
      closeUpgraded: [
        ({ reason }) => void calls.push(['a', reason]),
        async ({ reason }) => void calls.push(['b', reason]),
      ],
      onPhase: (e) => {
        if (e.phase === 'listeners-closed') calls.push(['phase', e.phase]);
      },
    });
    await shutdown.shutdown('deploy');
    expect(calls).toEqual([
      ['phase', 'listeners-closed'],
      ['a', 'deploy'],
      ['b', 'deploy'],
    ]);
  });

  it('with keepAliveDuringDelay, responses of the delay stay keep-alive', async () => {
    const { server, port } = await listening();
    const shutdown = gracefulShutdown(server, {
      ...quiet,
      lifecycle: new Lifecycle(),
      drainDelayMs: 300,
      keepAliveDuringDelay: true,
    });
    const run = shutdown.shutdown('deploy');
    const response = await request(`http://127.0.0.1:${port}/`);
    expect(response.headers.connection).toBe('keep-alive');
    await response.body.text();
    expect((await run).exitCode).toBe(0);
  });
});

describe('misconfiguration fails at startup with a stable code', () => {
  it.each([
    ['no server', () => gracefulShutdown([]), 'LBKIT_SHUTDOWN_SERVER_INVALID'],
    [
      'an Express app instead of its server',
      () => gracefulShutdown((() => {}) as never),
      'LBKIT_SHUTDOWN_SERVER_INVALID',
    ],
    ['a Fastify instance', () => gracefulShutdown({ server: {} } as never), 'LBKIT_SHUTDOWN_SERVER_INVALID'],
    [
      'a negative delay',
      () => gracefulShutdown(createServer(), { drainDelayMs: -1 }),
      'LBKIT_SHUTDOWN_DURATION_INVALID',
    ],
    [
      'a fractional timeout',
      () => gracefulShutdown(createServer(), { drainTimeoutMs: 1.5 }),
      'LBKIT_SHUTDOWN_DURATION_INVALID',
    ],
    [
      'SIGKILL',
      () => gracefulShutdown(createServer(), { signals: ['SIGKILL'] }),
      'LBKIT_SHUTDOWN_SIGNAL_INVALID',
    ],
    [
      'an unknown signal',
      () => gracefulShutdown(createServer(), { signals: ['SIGNOPE' as never] }),
      'LBKIT_SHUTDOWN_SIGNAL_INVALID',
    ],
    [
      'a hook without run',
      () => gracefulShutdown(createServer(), { hooks: [{ name: 'x' } as never] }),
      'LBKIT_SHUTDOWN_HOOK_INVALID',
    ],
    [
      'a ws server without clients',
      () => gracefulShutdown(createServer(), { webSockets: {} as never }),
      'LBKIT_SHUTDOWN_WEBSOCKET_SERVER_INVALID',
    ],
    [
      'a bad ipc value',
      () => gracefulShutdown(createServer(), { ipc: 'yes' as never }),
      'LBKIT_SHUTDOWN_OPTION_INVALID',
    ],
  ])('%s', (_name, fn, code) => {
    expect(codeOf(fn)).toBe(code);
  });
});
