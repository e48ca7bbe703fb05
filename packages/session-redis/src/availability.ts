// Whether Redis answers: flips on command outcomes and client events, probes until it is back.
import type { EventEmitter } from 'node:events';
import type { SessionStoreError } from './errors.js';
import type { CommandObserver } from './redis-commands.js';
import type { FailMode } from './types.js';

/**
 * Tracks Redis availability for one store and emits its events: `unavailable`/`available`
 * always, and `disconnect`/`connect` in fail-open mode (the names express-session listens to).
 * While down, a PING every `intervalMs` notices recovery even when no request reaches the store.
 */
export class Availability implements CommandObserver {
  readonly #emitter: EventEmitter;
  readonly #failMode: FailMode;
  readonly #intervalMs: number;
  #probe: () => Promise<unknown>;
  #down = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(emitter: EventEmitter, failMode: FailMode, intervalMs: number) {
    this.#emitter = emitter;
    this.#failMode = failMode;
    this.#intervalMs = intervalMs;
    this.#probe = () => Promise.resolve();
  }

  /** Sets the PING used while down (the command layer is built after this tracker). */
  setProbe(probe: () => Promise<unknown>): void {
    this.#probe = probe;
  }

  /** True between a failure and the next answer. */
  get down(): boolean {
    return this.#down;
  }

  onUnavailable(error: SessionStoreError): void {
    if (this.#down || this.#closed) return;
    this.#down = true;
    this.#emitter.emit('unavailable', error);
    if (this.#failMode === 'open') this.#emitter.emit('disconnect');
    this.#timer = setInterval(() => this.probeNow(), this.#intervalMs);
    this.#timer.unref();
  }

  onAnswered(): void {
    if (!this.#down) return;
    this.#down = false;
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#closed) return;
    this.#emitter.emit('available');
    if (this.#failMode === 'open') this.#emitter.emit('connect');
  }

  /** PINGs now when down (for example on the client's `ready` event). */
  probeNow(): void {
    if (this.#down && !this.#closed) this.#probe().catch(() => {});
  }

  /** Stops probing; no more events. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
