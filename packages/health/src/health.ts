// createHealth(): the startup, readiness, liveness and named probes of one instance, as a node:http handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { LbkitError, type Lifecycle } from '@lbkit/core';
import { brand } from '@lbkit/core/internal';
import { CheckRunner, type ResolvedCheck } from './check-runner.js';
import type { DetailAccess } from './detail-access.js';
import { resolveHealthOptions } from './options.js';
import { ProbeAnswers } from './probe-answers.js';
import { ProbeRoutes } from './probe-routes.js';
import { METHOD_NOT_ALLOWED } from './responses.js';
import type {
  CheckReport,
  CheckRunResult,
  Health,
  HealthOptions,
  HealthReport,
  HealthResponse,
  HealthStatus,
  ProbeName,
  WarmUpOutcome,
  WarmUpTarget,
} from './types.js';
import { NO_WARM_UP, WarmUp } from './warm-up.js';

/**
 * Creates the probes of one instance. Options are validated here (misconfiguration throws an
 * LbkitError with an `LBKIT_HEALTH_…` code); when `intervalMs` is set, background polling starts at
 * once. Call `close()` when the instance shuts down.
 */
export function createHealth(options: HealthOptions = {}): Health {
  return new HealthProbes(options);
}

const HEALTH = brand<Health>('health');

/**
 * True when `value` was made by {@link createHealth}, by this copy of @lbkit/health or another one
 * (adapters accept options or a ready Health).
 */
export function isHealth(value: unknown): value is Health {
  return HEALTH.is(value);
}

class HealthProbes implements Health {
  readonly lifecycle: Lifecycle;
  readonly routes: ReadonlyMap<string, ProbeName>;
  readonly #allowsDetails: DetailAccess;
  readonly #about: Readonly<Record<string, string>>;
  readonly #all: readonly CheckRunner[];
  readonly #startup: readonly CheckRunner[];
  readonly #named: ReadonlyMap<string, readonly CheckRunner[]>;
  readonly #every: readonly CheckRunner[];
  readonly #poller: NodeJS.Timeout | undefined;
  readonly #answers: ProbeAnswers;
  readonly #probeRoutes: ProbeRoutes;
  readonly #warmUp: WarmUp | undefined;
  /** Startup succeeds once and stays succeeded: the orchestrator stops asking after the first success. */
  #started = false;
  #closed = false;

  constructor(options: HealthOptions) {
    HEALTH.mark(this);
    const resolved = resolveHealthOptions(options);
    this.lifecycle = resolved.lifecycle;
    this.routes = resolved.routes;
    this.#probeRoutes = new ProbeRoutes(resolved.routes);
    this.#allowsDetails = resolved.allowsDetails;
    this.#about = resolved.about;
    const runner = (check: ResolvedCheck) =>
      new CheckRunner(check, resolved.intervalMs, resolved.onCheckChange);
    this.#all = resolved.checks.map(runner);
    this.#startup = this.#all.filter((r) => r.startup);
    this.#named = new Map([...resolved.probes].map(([path, checks]) => [path, checks.map(runner)]));
    this.#every = [...this.#all, ...[...this.#named.values()].flat()];
    this.#answers = new ProbeAnswers(resolved);
    this.#warmUp = resolved.warmUp && new WarmUp(resolved.warmUp, this.lifecycle);
    if (resolved.intervalMs !== undefined && this.#every.length > 0) {
      this.#poll();
      this.#poller = setInterval(() => this.#poll(), resolved.intervalMs);
      this.#poller.unref();
    }
  }

  allowsDetails(req: IncomingMessage): boolean {
    return this.#allowsDetails(req);
  }

  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const probe = this.#probeRoutes.match(req.url ?? '/');
    if (probe === undefined) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(METHOD_NOT_ALLOWED.statusCode, METHOD_NOT_ALLOWED.headers);
      res.end();
      return true;
    }
    this.respond(probe, req, res);
    return true;
  }

  respond(probe: ProbeName, req: IncomingMessage, res: ServerResponse): void {
    const answer = this.answer(probe, req);
    if (answer instanceof Promise) void answer.then((ready) => write(req, res, ready));
    else write(req, res, answer);
  }

  answer(probe: ProbeName, req: IncomingMessage): HealthResponse | Promise<HealthResponse> {
    const answers = this.#answers;
    const failed = () => answers.finish(probe, req, { status: 'fail' }, false, this.#closed);
    if (this.#allowsDetails(req)) {
      return this.report(probe).then(
        (report) => answers.finish(probe, req, report, true, this.#closed),
        failed,
      );
    }
    const status = this.#status(probe);
    if (typeof status !== 'string')
      return status.then((s) => answers.terse(probe, req, s, this.#closed), failed);
    return answers.terse(probe, req, status, this.#closed);
  }

  async report(probe: ProbeName, options: { detailed?: boolean } = {}): Promise<HealthReport> {
    if (probe !== 'liveness' && this.#runners(probe) === undefined) throw unknownProbe(probe);
    if (options.detailed === false) return { status: await this.#status(probe) };
    const state = this.lifecycle.state;
    const checks: Record<string, readonly CheckReport[]> = {};
    let status: HealthStatus;
    let output: string | undefined;
    if (probe === 'liveness') {
      checks.uptime = [
        {
          componentType: 'system',
          observedValue: Math.round(process.uptime() * 1000) / 1000,
          observedUnit: 's',
          status: 'pass',
          time: new Date().toISOString(),
        },
      ];
      checks['lifecycle:state'] = [lifecycleEntry(state, 'pass')];
      status = 'pass';
    } else {
      const runners = this.#runners(probe) ?? [];
      const now = performance.now();
      const reports = await Promise.all(runners.map((runner) => runner.current(now)));
      const lifecycleFails =
        this.#closed || (probe === 'startup' ? !this.#started && state === 'starting' : state !== 'ready');
      const warmUp = probe === 'readiness' || probe === 'startup' ? this.#warmUp : undefined;
      const warming = warmUp?.status === 'fail' && !(probe === 'startup' && this.#started);
      const combined = combine(runners, reports);
      status = lifecycleFails || warming ? 'fail' : warmUp ? this.#withWarmUp(combined) : combined;
      if (probe === 'startup' && this.#started) status = 'pass';
      else if (probe === 'startup' && status !== 'fail' && !this.#closed) this.#started = true;
      if (lifecycleFails) output = this.#closed ? 'health checks closed' : `instance is ${state}`;
      if (warming && !this.#closed) output = 'instance is warming up';
      checks['lifecycle:state'] = [lifecycleEntry(state, lifecycleFails ? 'fail' : 'pass', output)];
      if (warmUp) checks['lifecycle:warmUp'] = [warmUp.entry()];
      for (let i = 0; i < runners.length; i++) checks[runners[i]!.name] = [reports[i]!];
    }
    return { status, ...this.#about, ...(output === undefined ? {} : { output }), checks };
  }

  latestResults(): readonly CheckRunResult[] {
    const results: CheckRunResult[] = [];
    for (const runner of this.#every) {
      const latest = runner.latest;
      if (!latest) continue;
      const { report, durationMs } = latest;
      results.push({
        name: runner.name,
        critical: runner.critical,
        status: report.status,
        durationMs,
        time: report.time,
      });
    }
    return results;
  }

  warmUp(target?: WarmUpTarget): Promise<WarmUpOutcome> {
    return this.#warmUp ? this.#warmUp.start(target) : Promise.resolve(NO_WARM_UP);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#warmUp?.close();
    if (this.#poller) clearInterval(this.#poller);
    const closed = await Promise.allSettled(this.#every.map((runner) => runner.close()));
    const errors = closed.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    if (errors.length > 0) throw new AggregateError(errors, 'closing health checks failed');
  }

  /** The checks `probe` runs: undefined for a probe this Health does not have. */
  #runners(probe: ProbeName): readonly CheckRunner[] | undefined {
    if (probe === 'readiness') return this.#all;
    if (probe === 'startup') return this.#startup;
    if (probe === 'liveness') return [];
    return this.#named.get(probe);
  }

  /** The terse status of `probe`: synchronous while every result it needs is cached. */
  #status(probe: ProbeName): HealthStatus | Promise<HealthStatus> {
    if (probe === 'liveness') return 'pass';
    if (probe === 'startup') {
      if (this.#started) return 'pass';
      if (this.#closed || this.lifecycle.state === 'starting' || this.#warmUp?.status === 'fail')
        return 'fail';
      const status = statusOf(this.#startup);
      if (typeof status === 'string') return this.#latchStartup(status);
      return status.then((s) => this.#latchStartup(s));
    }
    const runners = this.#runners(probe);
    // Not ready means 503 whatever the checks say, so a draining instance does not even run them.
    if (runners === undefined || this.#closed || this.lifecycle.state !== 'ready') return 'fail';
    if (this.#warmUp === undefined || probe !== 'readiness') return statusOf(runners);
    if (this.#warmUp.status === 'fail') return 'fail';
    const status = statusOf(runners);
    return typeof status === 'string' ? this.#withWarmUp(status) : status.then((s) => this.#withWarmUp(s));
  }

  #latchStartup(status: HealthStatus): HealthStatus {
    const latched = this.#withWarmUp(status);
    if (latched !== 'fail' && !this.#closed) this.#started = true;
    return latched;
  }

  /** `status` degraded to `warn` by a warm-up that ended over budget or with a failure. */
  #withWarmUp(status: HealthStatus): HealthStatus {
    return status === 'pass' && this.#warmUp?.status === 'warn' ? 'warn' : status;
  }

  #poll(): void {
    for (const runner of this.#every) void runner.run();
  }
}

/** The combined status of `runners` from fresh results without allocating, else after refreshing. */
function statusOf(runners: readonly CheckRunner[]): HealthStatus | Promise<HealthStatus> {
  const now = performance.now();
  let status: HealthStatus = 'pass';
  for (const runner of runners) {
    const report = runner.fresh(now);
    if (report === undefined) {
      return Promise.all(runners.map((r) => r.current(now))).then((reports) => combine(runners, reports));
    }
    status = worse(status, report.status, runner.critical);
  }
  return status;
}

function combine(runners: readonly CheckRunner[], reports: readonly CheckReport[]): HealthStatus {
  let status: HealthStatus = 'pass';
  for (let i = 0; i < runners.length; i++) status = worse(status, reports[i]!.status, runners[i]!.critical);
  return status;
}

/** A failing critical check fails the probe; anything else short of `pass` only degrades it to `warn`. */
function worse(status: HealthStatus, check: HealthStatus, critical: boolean): HealthStatus {
  if (check === 'pass' || status === 'fail') return status;
  return check === 'fail' && critical ? 'fail' : 'warn';
}

function lifecycleEntry(state: string, status: HealthStatus, output?: string): CheckReport {
  const entry: CheckReport = {
    componentType: 'system',
    observedValue: state,
    status,
    time: new Date().toISOString(),
  };
  return output === undefined ? entry : { ...entry, output };
}

function unknownProbe(probe: string): LbkitError {
  return new LbkitError('LBKIT_HEALTH_PROBE_UNKNOWN', `no probe named ${JSON.stringify(probe)}`, {
    hint: "Ask for 'startup', 'readiness', 'liveness' or the path of a probe in the probes option.",
  });
}

function write(req: IncomingMessage, res: ServerResponse, answer: HealthResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(answer.statusCode, answer.headers);
  res.end(req.method === 'HEAD' ? undefined : answer.body);
}
