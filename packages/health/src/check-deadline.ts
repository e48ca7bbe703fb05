// A check's timeout counted in time the process could run: a stall of our own event loop is not blamed on the dependency.
import { performance } from 'node:perf_hooks';

/** Slices a timeout is measured in: each one that fires late shows how long the loop was stalled. */
const SLICES = 10;
/** How much of `timeoutMs` a stalled event loop may add to the wall-clock deadline. */
export const STALL_ALLOWANCE = 0.5;

/**
 * `work`'s value, or `undefined` once it has had `timeoutMs` of event-loop time without settling
 * (`onTimeout` runs first: abort the work there).
 *
 * A plain timer blames the dependency for our own CPU work: when a synchronous handler blocks the
 * loop past the timeout, the timer fires in the timers phase before the poll phase has read the
 * reply that arrived meanwhile, and a healthy Redis "times out" on every instance at once. So the
 * timeout is measured in slices; a slice that fires more than one slice late was stalled and counts
 * as two slices only. The wall-clock deadline is extended by at most `STALL_ALLOWANCE` × `timeoutMs`
 * (a hung dependency still fails within that bound, however saturated the loop), and before failing
 * the deadline yields one turn of the loop (`setImmediate`, after the poll phase) so a reply already
 * received is read. The slice timers are unref'd, and everything is cleared however the race ends.
 */
export function withLoopDeadline<T>(
  work: PromiseLike<T>,
  timeoutMs: number,
  onTimeout: () => void,
): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const started = performance.now();
    const wallEnd = started + timeoutMs * (1 + STALL_ALLOWANCE);
    const slice = Math.max(1, Math.ceil(timeoutMs / SLICES));
    let credited = 0;
    let armedAt = started;
    let armedMs = 0;
    let timer: NodeJS.Timeout | undefined;
    let turn: NodeJS.Immediate | undefined;
    let settled = false;

    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      if (timer) clearTimeout(timer);
      if (turn) clearImmediate(turn);
      return true;
    };
    const expire = (): void => {
      turn = undefined;
      if (!settle()) return;
      try {
        onTimeout();
      } catch (error) {
        reject(error);
        return;
      }
      resolve(undefined);
    };
    const arm = (ms: number): void => {
      armedAt = performance.now();
      armedMs = ms;
      timer = setTimeout(onSlice, ms);
      timer.unref();
    };
    function onSlice(): void {
      timer = undefined;
      const now = performance.now();
      credited += Math.min(now - armedAt, 2 * armedMs);
      if (credited >= timeoutMs || now >= wallEnd) {
        // The poll phase runs before this: a reply that arrived while the loop was blocked is read.
        // Not unref'd: it runs in this very turn, and an unref'd immediate lets the poll phase block
        // until some other event wakes the loop (Node only keeps polling non-blocking for ref'd ones).
        turn = setImmediate(expire);
        return;
      }
      arm(Math.max(1, Math.min(slice, Math.ceil(timeoutMs - credited))));
    }

    arm(Math.min(slice, timeoutMs));
    Promise.resolve(work).then(
      (value) => {
        if (settle()) resolve(value);
      },
      (error: unknown) => {
        if (settle()) reject(error);
      },
    );
  });
}
