// Runs one check with a timeout and an AbortSignal, caches its result, and shares a run between concurrent probes.
import { performance } from 'node:perf_hooks';
import { withLoopDeadline } from './check-deadline.js';
import { failure, runCheck } from './check-outcome.js';
import type { CheckChange, CheckFunction, CheckReport } from './types.js';

/** A check with every setting resolved (see `resolveChecks`). */
export interface ResolvedCheck {
  readonly name: string;
  readonly check: CheckFunction;
  readonly critical: boolean;
  readonly startup: boolean;
  readonly timeoutMs: number;
  readonly cacheMs: number;
  readonly componentType: string;
  readonly close: (() => void | Promise<void>) | undefined;
}

/**
 * One check's runtime state. At most one run is in flight at a time (single-flight); its result is
 * reused until `keepMs` after it settled. A run that outlives its timeout (measured in event-loop time,
 * see `withLoopDeadline`) is reported as failed and aborted; while it still has not settled no new run starts, so a hung dependency never piles up
 * calls.
 */
export class CheckRunner {
  readonly name: string;
  readonly critical: boolean;
  readonly startup: boolean;
  readonly #spec: ResolvedCheck;
  /** How long a result stays fresh: `cacheMs`, or until the next background run has landed. */
  readonly #keepMs: number;
  #latest: CheckReport | undefined;
  #latestDurationMs = 0;
  #freshUntil = Number.NEGATIVE_INFINITY;
  #running: Promise<CheckReport> | undefined;
  #abandoned = false;
  #controller: AbortController | undefined;
  #closed = false;
  readonly #onChange: ((change: CheckChange) => void) | undefined;

  /** `onChange` hears of each change of the check's status (the first run only when it is not `pass`). */
  constructor(spec: ResolvedCheck, intervalMs: number | undefined, onChange?: (change: CheckChange) => void) {
    this.#spec = spec;
    this.#onChange = onChange;
    this.name = spec.name;
    this.critical = spec.critical;
    this.startup = spec.startup;
    this.#keepMs =
      intervalMs === undefined ? spec.cacheMs : Math.max(spec.cacheMs, intervalMs + spec.timeoutMs);
  }

  /** The cached result while it is fresh, else undefined. */
  fresh(now: number): CheckReport | undefined {
    return now < this.#freshUntil ? this.#latest : undefined;
  }

  /** The latest result, fresh or not, with how long its run took in milliseconds; undefined before the first. */
  get latest(): { readonly report: CheckReport; readonly durationMs: number } | undefined {
    return this.#latest && { report: this.#latest, durationMs: this.#latestDurationMs };
  }

  /** The fresh result, or the (shared) run that produces one. */
  current(now: number): CheckReport | Promise<CheckReport> {
    return (now < this.#freshUntil ? this.#latest : undefined) ?? this.run();
  }

  /** Starts a run unless one is in flight, and returns the run in flight. Never rejects. */
  run(): Promise<CheckReport> {
    const started = performance.now();
    this.#running ??= this.#execute().then((report) => {
      const previous = this.#latest?.status;
      this.#latest = report;
      this.#latestDurationMs = performance.now() - started;
      if (report.status !== previous && (previous !== undefined || report.status !== 'pass')) {
        this.#changed(report, previous);
      }
      this.#freshUntil = performance.now() + this.#keepMs;
      this.#running = undefined;
      return report;
    });
    return this.#running;
  }

  /** Aborts a run in flight and releases the check's resources. Later runs fail at once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#controller?.abort(new DOMException('health checks closed', 'AbortError'));
    await this.#spec.close?.();
  }

  #changed(report: CheckReport, previous: CheckReport['status'] | undefined): void {
    if (!this.#onChange) return;
    try {
      this.#onChange({
        name: this.name,
        status: report.status,
        previous,
        critical: this.critical,
        output: report.output,
        durationMs: this.#latestDurationMs,
      });
    } catch {
      // A logging hook that throws must not turn into a failing probe or an unhandled rejection.
    }
  }

  async #execute(): Promise<CheckReport> {
    const { check, timeoutMs, componentType } = this.#spec;
    if (this.#closed) return failure(componentType, 'health checks closed');
    if (this.#abandoned) {
      return failure(
        componentType,
        `timed out: the previous run is still unsettled after its ${timeoutMs} ms timeout`,
      );
    }
    const controller = new AbortController();
    this.#controller = controller;
    const work = runCheck(check, controller.signal, componentType);
    // Not a plain timer: time our own event loop spent blocked (CPU work of the app) is not counted.
    const report = await withLoopDeadline(work, timeoutMs, () =>
      controller.abort(new DOMException(`health check timed out after ${timeoutMs} ms`, 'TimeoutError')),
    );
    if (this.#controller === controller) this.#controller = undefined;
    if (report) return report;
    this.#abandoned = true;
    void work.then(() => {
      this.#abandoned = false;
    });
    return failure(componentType, `timed out after ${timeoutMs} ms`);
  }
}
