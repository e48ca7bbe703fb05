// A custom pressure source (under-pressure's healthCheck), sampled on the signal timer, one run at a time.
import type { PressureSource } from './types.js';

/**
 * Keeps the latest answer of a user's pressure source. A source that throws or rejects counts as
 * under pressure, as @fastify/under-pressure's `healthCheck` does: a check that cannot tell is no
 * reason to take more work; the first failure is emitted once as a process warning.
 */
export class PressureGauge {
  readonly #source: PressureSource;
  #under = false;
  #running = false;
  #warned = false;

  constructor(source: PressureSource) {
    this.#source = source;
  }

  /** What the source said last. */
  get under(): boolean {
    return this.#under;
  }

  /** Asks the source, unless an earlier asynchronous answer is still awaited; a synchronous answer counts at once. */
  sample(): void {
    if (this.#running) return;
    let answer: boolean | Promise<boolean>;
    try {
      answer = this.#source();
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (!(answer instanceof Promise)) {
      this.#under = answer === true;
      return;
    }
    this.#running = true;
    answer.then(
      (value) => {
        this.#running = false;
        this.#under = value === true;
      },
      (error: unknown) => {
        this.#running = false;
        this.#fail(error);
      },
    );
  }

  #fail(error: unknown): void {
    this.#under = true;
    if (this.#warned) return;
    this.#warned = true;
    process.emitWarning(
      `loadShedding(): the underPressure source failed (${error instanceof Error ? error.message : String(error)}); shedding as under pressure until it answers. Further failures are not reported.`,
      { code: 'LBKIT_SHEDDING_PRESSURE_FAILED' },
    );
  }
}
