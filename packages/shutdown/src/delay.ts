// An abortable delay whose timer is unref'd unless the caller is about to exit the process on purpose.
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves true after `ms`, or false as soon as `signal` aborts. `ref` keeps the process alive
 * while waiting: only a shutdown that will call `process.exit` asks for it, so that its bounds hold
 * even when nothing else is left in the event loop.
 */
export async function delay(ms: number, signal: AbortSignal | undefined, ref = false): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await sleep(ms, undefined, { signal, ref });
    return true;
  } catch {
    return false;
  }
}
