// Runs the warm-up of one instance: tasks and self-requests within a budget, holding the lifecycle's ready until done.
import { once, setMaxListeners } from 'node:events';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Server as TlsServer } from 'node:tls';
import { LbkitError, type Lifecycle } from '@lbkit/core';
import { withTimeout } from '@lbkit/core/internal';
import type { ResolvedWarmUp } from './resolve-warm-up.js';
import type { CheckReport, HealthStatus, WarmUpOutcome, WarmUpTarget } from './types.js';

/** What `warmUp()` resolves to when no warm-up is configured. */
export const NO_WARM_UP: WarmUpOutcome = Object.freeze({
  status: 'pass',
  durationMs: 0,
  overBudget: false,
  failures: Object.freeze([]),
  unfinished: Object.freeze([]),
});

/** Longest error text kept per failure. */
const MAX_ERROR_LENGTH = 256;

/** Where self-requests go, resolved from a WarmUpTarget once the server listens. */
interface Origin {
  readonly protocol: 'http:' | 'https:';
  readonly host?: string;
  readonly port?: number;
  readonly socketPath?: string;
}

/**
 * The warm-up of one Health. From construction it holds the lifecycle's `ready` (a `markReady()`
 * waits for it); `status` is `fail` until the warm-up ends, then `pass` or `warn`.
 */
export class WarmUp {
  readonly #spec: ResolvedWarmUp;
  readonly #release: () => void;
  readonly #controller = new AbortController();
  #outcome: WarmUpOutcome | undefined;
  #running: Promise<WarmUpOutcome> | undefined;
  #startedAt: number | undefined;

  constructor(spec: ResolvedWarmUp, lifecycle: Lifecycle) {
    this.#spec = spec;
    // One abort listener per task, self-request and waiting pool query: bounded by the options, not a leak.
    setMaxListeners(0, this.#controller.signal);
    // A Lifecycle from an older copy of @lbkit/core cannot hold ready: the probes still fail until the end.
    const holdable = lifecycle as Partial<Pick<Lifecycle, 'holdReady'>>;
    this.#release =
      typeof holdable.holdReady === 'function' ? holdable.holdReady.call(lifecycle, 'warm-up') : () => {};
  }

  /** `fail` while the warm-up has not ended (probes answer 503), then its outcome's status. */
  get status(): HealthStatus {
    return this.#outcome?.status ?? 'fail';
  }

  /** The `lifecycle:warmUp` entry of the detailed startup and readiness reports. */
  entry(): CheckReport {
    const outcome = this.#outcome;
    const time = new Date().toISOString();
    if (outcome === undefined) {
      const output =
        this.#startedAt === undefined
          ? 'warm-up has not started: call health.warmUp(server) once the server listens'
          : `warming up (budget ${this.#spec.budgetMs} ms)`;
      const elapsed = this.#startedAt === undefined ? 0 : Math.round(performance.now() - this.#startedAt);
      return {
        componentType: 'system',
        observedValue: elapsed,
        observedUnit: 'ms',
        status: 'fail',
        time,
        output,
      };
    }
    const entry: CheckReport = {
      componentType: 'system',
      observedValue: outcome.durationMs,
      observedUnit: 'ms',
      status: outcome.status,
      time,
    };
    return outcome.status === 'pass' ? entry : { ...entry, output: describe(outcome, this.#spec.budgetMs) };
  }

  /** Runs the warm-up once; later calls share the first run. */
  start(target: WarmUpTarget | undefined): Promise<WarmUpOutcome> {
    if (this.#running) return this.#running;
    if (this.#spec.routes.length > 0 && target === undefined) {
      return Promise.reject(
        new LbkitError('LBKIT_HEALTH_WARMUP_TARGET_MISSING', 'warmUp(): routes are given but no server', {
          hint: 'Call health.warmUp(server) with the server the app listens on (or its origin URL).',
        }),
      );
    }
    this.#startedAt = performance.now();
    this.#running = this.#run(target);
    return this.#running;
  }

  /** Aborts a running warm-up and lets the lifecycle go (health is closing). */
  close(): void {
    this.#controller.abort(new Error('health closed'));
    this.#release();
  }

  async #run(target: WarmUpTarget | undefined): Promise<WarmUpOutcome> {
    const signal = this.#controller.signal;
    const pending = new Set<string>();
    const failures: { name: string; error: string }[] = [];
    const attempt = async (name: string, work: () => unknown): Promise<void> => {
      pending.add(name);
      try {
        await work();
      } catch (error) {
        if (!signal.aborted) failures.push({ name, error: errorText(error) });
      } finally {
        pending.delete(name);
      }
    };
    const work = [
      ...this.#spec.tasks.map((task) => attempt(task.name, () => task.run(signal))),
      ...(this.#spec.routes.length > 0 ? [this.#requestRoutes(target!, signal, attempt)] : []),
    ];
    const finished = await withTimeout(
      Promise.all(work).then(() => true),
      this.#spec.budgetMs,
      false,
    );
    const closed = signal.aborted;
    const overBudget = !finished && !closed;
    if (overBudget) this.#controller.abort(new Error(`warm-up over its budget of ${this.#spec.budgetMs} ms`));
    const outcome: WarmUpOutcome = Object.freeze({
      status: overBudget || failures.length > 0 ? 'warn' : 'pass',
      durationMs: Math.round(performance.now() - this.#startedAt!),
      overBudget,
      failures: Object.freeze([...failures]),
      unfinished: Object.freeze(overBudget ? [...pending] : []),
    });
    this.#outcome = outcome;
    if (!closed) warn(outcome, this.#spec.budgetMs);
    this.#release();
    return outcome;
  }

  /** Every route in parallel, each `repeat` times in a row, on one keep-alive agent closed at the end. */
  async #requestRoutes(
    target: WarmUpTarget,
    signal: AbortSignal,
    attempt: (name: string, work: () => unknown) => Promise<void>,
  ): Promise<void> {
    let origin: Origin | undefined;
    await attempt('server listening', async () => {
      origin = await resolveOrigin(target, signal);
    });
    if (origin === undefined) return;
    const at = origin;
    const agent =
      origin.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, rejectUnauthorized: false })
        : new HttpAgent({ keepAlive: true });
    try {
      await Promise.all(
        this.#spec.routes.map((route) =>
          attempt(`GET ${route}`, async () => {
            for (let i = 0; i < this.#spec.repeat && !signal.aborted; i++) {
              await selfRequest(at, agent, route, this.#spec.headers, signal);
            }
          }),
        ),
      );
    } finally {
      agent.destroy();
    }
  }
}

/** The origin of `target`; a server is waited for until it listens. */
async function resolveOrigin(target: WarmUpTarget, signal: AbortSignal): Promise<Origin> {
  if (typeof target === 'string' || target instanceof URL) {
    const url = new URL(target);
    const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
    const port = url.port ? Number(url.port) : protocol === 'https:' ? 443 : 80;
    return { protocol, host: url.hostname.replace(/^\[|\]$/g, ''), port };
  }
  const server: Server = target;
  if (!server.listening) await once(server, 'listening', { signal });
  const protocol = server instanceof TlsServer ? 'https:' : 'http:';
  const address = server.address();
  if (typeof address === 'string') return { protocol, socketPath: address };
  const { address: host, port } = address as AddressInfo;
  // A server on every interface is reached on loopback: the request never leaves the host.
  const loopback = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return { protocol, host: loopback, port };
}

function selfRequest(
  origin: Origin,
  agent: HttpAgent,
  path: string,
  headers: Readonly<Record<string, string>>,
  signal: AbortSignal,
): Promise<void> {
  const send = origin.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send({ ...origin, path, method: 'GET', headers, agent, signal }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 500) reject(new Error(`answered ${status}`));
        else resolve();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

function describe(outcome: WarmUpOutcome, budgetMs: number): string {
  const parts: string[] = [];
  if (outcome.overBudget) {
    parts.push(`over its budget of ${budgetMs} ms; unfinished: ${outcome.unfinished.join(', ') || 'none'}`);
  }
  if (outcome.failures.length > 0) {
    parts.push(`failed: ${outcome.failures.map((f) => `${f.name} (${f.error})`).join(', ')}`);
  }
  return parts.join('; ');
}

// Process warnings, as the shutdown budget's: coded, printed without any logger configured, and
// collected by process.on('warning'). They reach the operator's log, never a public caller.
function warn(outcome: WarmUpOutcome, budgetMs: number): void {
  if (outcome.overBudget) {
    process.emitWarning(`warm-up over its budget of ${budgetMs} ms: ready with warn`, {
      code: 'LBKIT_HEALTH_WARMUP_OVER_BUDGET',
      detail: `Unfinished: ${outcome.unfinished.join(', ') || 'none'}. Raise warmUp.budgetMs or make the tasks shorter.`,
    });
  }
  if (outcome.failures.length > 0) {
    process.emitWarning(`warm-up: ${outcome.failures.length} task(s) failed: ready with warn`, {
      code: 'LBKIT_HEALTH_WARMUP_TASK_FAILED',
      detail: outcome.failures.map((f) => `${f.name}: ${f.error}`).join('; '),
    });
  }
}
