// One timeout race for every package: a promise against an unref'd timer that is always cleared.
import { MAX_TIMER_MS } from './options.js';

/** Options of {@link withTimeout}. */
export interface TimeoutOptions {
  /**
   * Keep the process alive while waiting. Default false: a library timer never holds the event
   * loop open; only a caller about to exit the process on purpose asks for it.
   */
  readonly ref?: boolean;
  /** Called once when the timer wins, before the race settles (abort the work here); a throw rejects. */
  readonly onTimeout?: () => void;
}

/**
 * `work`'s value, or `fallback` once `ms` milliseconds have passed first. A rejection of `work`
 * before the timer fires rejects; after it, it is ignored (the work is abandoned, not awaited).
 * The timer is unref'd unless `ref` is set, and cleared however the race ends.
 * @internal Shared by lbkit's packages; not a public API.
 */
export function withTimeout<T, F>(
  work: PromiseLike<T>,
  ms: number,
  fallback: F,
  options: TimeoutOptions = {},
): Promise<T | F> {
  return new Promise<T | F>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(
      () => {
        if (settled) return;
        settled = true;
        try {
          options.onTimeout?.();
        } catch (error) {
          reject(error);
          return;
        }
        resolve(fallback);
      },
      Math.min(Math.max(ms, 0), MAX_TIMER_MS),
    );
    if (options.ref !== true) timer.unref();
    Promise.resolve(work).then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
