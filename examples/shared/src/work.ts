// The demo routes' work: /slow waits, /work burns CPU; both bounded so a query cannot pin the process.
import { setTimeout as sleep } from 'node:timers/promises';

/** Upper bound for `?ms=` on /slow and /work. */
export const MAX_MS = 60_000;

/** Parses `?ms=N` into a bounded whole number of milliseconds; undefined when malformed. */
export function parseMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,6}$/.test(value)) return undefined;
  const ms = Number(value);
  return ms <= MAX_MS ? ms : undefined;
}

/** Burns `ms` of CPU synchronously, the way an expensive handler blocks the event loop. */
export function burnCpu(ms: number): void {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x = (x + Math.sqrt(x + 1)) % 1e9;
}

/** Resolves after `ms`. */
export function wait(ms: number): Promise<void> {
  return sleep(ms, undefined, { ref: true });
}
