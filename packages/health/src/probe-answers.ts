// Turns a probe's status or report into its HTTP answer: status codes, Retry-After, the body and shutdown hooks.
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Lifecycle, LifecycleState } from '@lbkit/core';
import type { ResolvedHealthOptions } from './options.js';
import {
  build,
  detailed as detailedAnswer,
  HEALTH_CONTENT_TYPE,
  type SharedAnswers,
  type StatusCodes,
  shaped,
  sharedAnswers,
} from './responses.js';
import type {
  HealthBodyContext,
  HealthReport,
  HealthResponse,
  HealthStatus,
  ProbeName,
  ShutdownFailureEvent,
} from './types.js';

/** The answers of one Health: what can be built once is, the rest per request. */
export class ProbeAnswers {
  readonly #lifecycle: Lifecycle;
  readonly #codes: StatusCodes;
  readonly #shared: SharedAnswers;
  readonly #retryS: number;
  readonly #body: ((context: HealthBodyContext) => unknown) | undefined;
  readonly #onFailureDuringShutdown: ((event: ShutdownFailureEvent) => void) | undefined;

  constructor(options: ResolvedHealthOptions) {
    this.#lifecycle = options.lifecycle;
    this.#codes = options.statusCodes;
    this.#shared = sharedAnswers(options.statusCodes, options.retryMs);
    this.#retryS = Math.ceil(options.retryMs / 1000);
    this.#body = options.body;
    this.#onFailureDuringShutdown = options.onFailureDuringShutdown;
  }

  /** The public answer to `probe`: shared and frozen for pass and warn unless a body hook shapes it. */
  terse(probe: ProbeName, req: IncomingMessage, status: HealthStatus, closed: boolean): HealthResponse {
    if (status !== 'fail' && this.#body === undefined) return this.#shared.terse[status];
    return this.finish(probe, req, { status }, false, closed);
  }

  /** The answer to `probe` for `report`: status code, Retry-After, the body hook, the shutdown hook. */
  finish(
    probe: ProbeName,
    req: IncomingMessage,
    report: HealthReport,
    detailed: boolean,
    closed: boolean,
  ): HealthResponse {
    const { status } = report;
    let retryAfterS: number | undefined;
    if (status === 'fail') {
      const state = this.#lifecycle.state;
      if (state === 'draining' || state === 'stopped') this.#tellShutdownFailure(probe, state, req);
      if (probe === 'readiness') retryAfterS = this.#retryAfter(state, closed);
    }
    if (this.#body) {
      try {
        return shaped(this.#codes, status, this.#body({ probe, report, detailed, req }), retryAfterS);
      } catch {
        // The standard body below: a broken hook must not turn a probe answer into a 500.
      }
    }
    if (detailed) return detailedAnswer(this.#codes, report, retryAfterS);
    if (status !== 'fail' || retryAfterS === undefined) return this.#shared.terse[status];
    if (retryAfterS === this.#retryS && this.#lifecycle.state === 'ready') return this.#shared.checksFailing;
    return build(this.#codes.fail, 'fail', this.#shared.terse.fail.body, HEALTH_CONTENT_TYPE, retryAfterS);
  }

  /**
   * Seconds until a failing readiness may answer otherwise: the time left of the drain while
   * draining (when the shutdown said when it ends), the cache period while checks fail.
   */
  #retryAfter(state: LifecycleState, closed: boolean): number | undefined {
    if (closed) return undefined;
    if (state === 'ready') return this.#retryS;
    if (state !== 'draining') return undefined;
    // A Lifecycle from an older copy of @lbkit/core has no holds.
    const endsAt = (this.#lifecycle as Partial<Pick<Lifecycle, 'holds'>>).holds?.endsAt;
    return endsAt === undefined ? undefined : Math.max(0, Math.ceil((endsAt - performance.now()) / 1000));
  }

  #tellShutdownFailure(probe: ProbeName, state: 'draining' | 'stopped', req: IncomingMessage): void {
    const hook = this.#onFailureDuringShutdown;
    if (!hook) return;
    try {
      const returned: unknown = hook({ probe, state, req });
      if (returned instanceof Promise) returned.catch(() => {});
    } catch {
      // A hook is told, never in charge: the 503 goes out whatever it does.
    }
  }
}
