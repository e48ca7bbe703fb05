// The server's real keep-alive idle timeout, measured on an idle connection, against the balancer's.
import { connect } from 'node:net';
import type { Settings } from './options.js';
import type { Finding } from './types.js';

const PROGRESS_EVERY_MS = 5000;

/**
 * Sends one HEAD (its answer ends with the header block, so no body parsing) on a raw connection,
 * then waits idle until the server closes it or `boundMs` passes. Resolves with the idle time in
 * ms, `undefined` when still open at the bound, or the server's `Connection: close` refusal.
 */
export function measureIdleClose(
  settings: Settings,
  boundMs: number,
): Promise<{ idleMs: number | undefined; closedAtOnce: boolean }> {
  return new Promise((resolve, reject) => {
    const { base } = settings;
    const socket = connect({ host: base.hostname.replace(/^\[|\]$/g, ''), port: Number(base.port || 80) });
    let head = '';
    let idleSince: number | undefined;
    let bound: NodeJS.Timeout | undefined;
    let progress: NodeJS.Timeout | undefined;
    // Referenced timers on purpose: the caller awaits this wait, and nothing else may hold the process.
    const answerTimer = setTimeout(
      () => finish(new Error(`no answer within ${settings.requestTimeoutMs} ms`)),
      settings.requestTimeoutMs,
    );
    const finish = (result: { idleMs: number | undefined; closedAtOnce: boolean } | Error): void => {
      clearTimeout(answerTimer);
      clearTimeout(bound);
      clearInterval(progress);
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    socket.setEncoding('latin1');
    socket.on('connect', () => {
      socket.write(`HEAD ${settings.live} HTTP/1.1\r\nHost: ${base.host}\r\nConnection: keep-alive\r\n\r\n`);
    });
    socket.on('data', (chunk: string) => {
      if (idleSince !== undefined) return;
      head += chunk;
      if (!head.includes('\r\n\r\n')) return;
      clearTimeout(answerTimer);
      if (/\r\nconnection:[^\r]*\bclose\b/i.test(head)) {
        finish({ idleMs: 0, closedAtOnce: true });
        return;
      }
      idleSince = Date.now();
      bound = setTimeout(() => finish({ idleMs: undefined, closedAtOnce: false }), boundMs);
      progress = setInterval(() => {
        const waited = Math.round((Date.now() - (idleSince ?? Date.now())) / 1000);
        settings.progress(
          `keep-alive: idle for ${waited} s, waiting for the server to close (at most ${Math.round(boundMs / 1000)} s)`,
        );
      }, PROGRESS_EVERY_MS);
    });
    const closed = (): void => {
      if (idleSince === undefined) finish(new Error('the connection closed before the answer'));
      else finish({ idleMs: Date.now() - idleSince, closedAtOnce: false });
    };
    socket.on('end', closed);
    socket.on('close', closed);
    socket.on('error', finish);
  });
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The keep-alive finding: the server must keep idle connections longer than the balancer does. */
export async function checkKeepAlive(settings: Settings): Promise<Finding[]> {
  const id = 'keep-alive.idle-timeout';
  const { idle } = settings;
  // No need to wait past the balancer's own timeout: the balancer closes first from then on.
  const boundMs = idle ? Math.min(settings.maxWaitMs, idle.seconds * 1000 + 1000) : settings.maxWaitMs;
  const fix = idle
    ? `Set server.keepAliveTimeout above the balancer's ${idle.seconds} s (for example ${idle.keepAliveTimeoutMs} ms, as @lbkit/profiles' applyServerTimeouts() does) and headersTimeout above that.`
    : '';
  settings.progress(`keep-alive: measuring the server's idle timeout (at most ${seconds(boundMs)})`);
  let result: Awaited<ReturnType<typeof measureIdleClose>>;
  try {
    result = await measureIdleClose(settings, boundMs);
  } catch (error) {
    return [
      {
        id,
        status: 'fail',
        message: `keep-alive not measured: ${(error as Error).message}`,
        fix: 'Check that the instance is listening.',
      },
    ];
  }
  if (result.closedAtOnce)
    return [
      {
        id,
        status: 'fail',
        message: 'the server answers Connection: close: every request costs the balancer a new connection',
        fix: 'Enable HTTP keep-alive on the server (Node does by default).',
      },
    ];
  if (result.idleMs === undefined)
    return [
      {
        id,
        status: 'pass',
        message: `an idle connection is still open after ${seconds(boundMs)}${idle ? `, past the balancer's ${idle.seconds} s (${idle.source})` : ''}`,
      },
    ];
  if (!idle)
    return [
      {
        id,
        status: 'pass',
        message: `the server closes idle connections after ${seconds(result.idleMs)} (pass --idle-timeout or --behind to compare with the balancer)`,
      },
    ];
  if (result.idleMs > idle.seconds * 1000)
    return [
      {
        id,
        status: 'pass',
        message: `the server closes idle connections after ${seconds(result.idleMs)}, after the balancer's ${idle.seconds} s (${idle.source})`,
      },
    ];
  return [
    {
      id,
      status: 'fail',
      message: `the server closes idle connections after ${seconds(result.idleMs)}, before the balancer's ${idle.seconds} s (${idle.source}): the balancer will send requests on connections the server is closing (502s)`,
      fix,
    },
  ];
}
