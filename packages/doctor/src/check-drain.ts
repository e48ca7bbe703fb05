// With --pid: SIGTERM the local server and watch its drain as the balancer would see it.
import { connect } from 'node:net';
import { retryAfterFinding } from './check-probes.js';
import { type Answer, ask, header } from './http-request.js';
import type { Settings } from './options.js';
import type { Finding } from './types.js';

const POLL_MS = 100;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function accepts(settings: Settings): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({
      host: settings.base.hostname.replace(/^\[|\]$/g, ''),
      port: Number(settings.base.port || 80),
    });
    socket.setTimeout(settings.requestTimeoutMs, () => socket.destroy());
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls `test` every 100 ms until it returns a value or `deadline` (epoch ms) passes. */
async function until<T>(deadline: number, test: () => Promise<T | undefined>): Promise<T | undefined> {
  while (Date.now() < deadline) {
    const value = await test();
    if (value !== undefined) return value;
    await pause(POLL_MS);
  }
  return undefined;
}

/** Sends SIGTERM to `settings.pid`, then checks readiness, Connection: close, the listener and the exit. */
export async function checkDrain(settings: Settings): Promise<Finding[]> {
  const { pid } = settings;
  if (pid === undefined)
    return [
      {
        id: 'drain',
        status: 'skip',
        message: 'drain not checked (it needs --pid of a local server process)',
        fix: 'Pass --pid <pid>: the doctor sends it SIGTERM and watches the drain.',
      },
    ];
  if (!alive(pid))
    return [
      {
        id: 'drain',
        status: 'fail',
        message: `no process ${pid}`,
        fix: 'Pass the pid of the server process itself.',
      },
    ];
  const findings: Finding[] = [];
  const readyUrl = new URL(settings.ready, settings.base);
  const start = Date.now();
  settings.progress(`drain: SIGTERM sent to ${pid}, polling ${settings.ready}`);
  process.kill(pid, 'SIGTERM');
  const failed = await until<Answer | 'refused'>(start + settings.probeIntervalMs, async () => {
    const answer = await ask(readyUrl, { timeoutMs: settings.requestTimeoutMs }).catch(
      () => 'refused' as const,
    );
    return answer === 'refused' || answer.status !== 200 ? answer : undefined;
  });
  const failedMs = Date.now() - start;
  const window = `${settings.probeIntervalMs / 1000} s`;
  if (failed === undefined)
    findings.push({
      id: 'drain.readiness',
      status: 'fail',
      message: `readiness still 200 ${window} (one probe interval) after SIGTERM: the balancer keeps sending traffic to a stopping instance`,
      fix: 'Fail readiness (503) as soon as the drain starts (lbkit shutdown + health share one lifecycle).',
    });
  else if (failed === 'refused')
    findings.push({
      id: 'drain.readiness',
      status: 'fail',
      message: `the listener closed ${failedMs} ms after SIGTERM with readiness never failing: requests in the balancer's pipeline are refused`,
      fix: 'Answer 503 on readiness and keep the listener open for the drain delay (drainDelayMs ≥ unhealthy threshold × probe interval).',
    });
  else {
    findings.push({
      id: 'drain.readiness',
      status: 'pass',
      message: `readiness answered ${failed.status} ${failedMs} ms after SIGTERM, within one probe interval (${window})`,
    });
    if (failed.status === 503) findings.push(retryAfterFinding('drain.retry-after', settings.ready, failed));
    const during = await ask(new URL(settings.live, settings.base), {
      headers: { connection: 'keep-alive' },
      timeoutMs: settings.requestTimeoutMs,
    }).catch(() => undefined);
    const connection = during ? header(during, 'connection') : undefined;
    findings.push(
      !during || /\bclose\b/i.test(connection ?? '')
        ? {
            id: 'drain.connection-close',
            status: 'pass',
            message: during
              ? 'responses during the drain carry Connection: close'
              : 'the listener no longer answers during the drain',
          }
        : {
            id: 'drain.connection-close',
            status: 'fail',
            message: `a response during the drain carries Connection: ${connection ?? '(none)'}: the balancer keeps reusing the connection`,
            fix: 'Send Connection: close on every response once the drain starts, so keep-alive connections leave (lbkit shutdown does).',
          },
    );
  }
  const deadline = start + settings.drainTimeoutMs;
  settings.progress(`drain: waiting for the listener to close (at most ${settings.drainTimeoutMs / 1000} s)`);
  const closed = await until(deadline, async () => ((await accepts(settings)) ? undefined : true));
  const closedMs = Date.now() - start;
  findings.push(
    closed
      ? {
          id: 'drain.listener',
          status: 'pass',
          message: `the listener closed ${closedMs} ms after SIGTERM${failed && failed !== 'refused' ? ` (${closedMs - failedMs} ms after readiness failed)` : ''}`,
        }
      : {
          id: 'drain.listener',
          status: 'fail',
          message: `the listener still accepts ${settings.drainTimeoutMs / 1000} s after SIGTERM`,
          fix: 'Close the listener after the drain delay (server.close()), and bound the drain with a timeout.',
        },
  );
  const exited = await until(deadline, async () => (alive(pid) ? undefined : true));
  findings.push(
    exited
      ? {
          id: 'drain.exit',
          status: 'pass',
          message: `process ${pid} exited ${Date.now() - start} ms after SIGTERM (its exit code is its parent's to read)`,
        }
      : {
          id: 'drain.exit',
          status: 'fail',
          message: `process ${pid} still runs ${settings.drainTimeoutMs / 1000} s after SIGTERM`,
          fix: 'Exit once the drain ends: clear timers and close handles, or exit on the drain timeout (lbkit shutdown does).',
        },
  );
  return findings;
}
