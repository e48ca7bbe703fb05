// The choice of a worker for one connection, by policy, from what the primary knows of each worker.
import { isIPv4 } from 'node:net';
import type { LoadReport } from './cluster-messages.js';
import type { ClusterBalance } from './types.js';

/** Every `balance` value, in the order the README gives them. */
export const BALANCES = [
  'round-robin',
  'least-connections',
  'least-loaded',
  'ip-hash',
] as const satisfies readonly ClusterBalance[];

/** A report older than this counts as a worker too busy to report: event-loop utilisation 1. */
export const STALE_REPORT_MS = 1000;

/** What a stale report adds to a worker's score: as much as ten requests in flight. */
export const STALE_PENALTY = 10;

/** What the primary knows of one worker's connections and load. */
export class WorkerLoad {
  /** Sockets handed to the worker. */
  handed = 0;
  /** The latest report, if any: the worker takes connections from the primary once it has sent one. */
  report: LoadReport | undefined;
  /** When that report arrived (performance.now()). */
  reportedAt = 0;

  /** Connections handed and not reported closed. */
  get open(): number {
    return this.handed - (this.report?.closed ?? 0);
  }

  /** Connections handed that the worker has not taken yet (in transit, or its loop is busy). */
  get unreceived(): number {
    return this.handed - (this.report?.received ?? 0);
  }

  /**
   * The work waiting there (requests in flight, queued, connections handed but not yet taken, plus
   * the new one) plus the event-loop utilisation (0–1): work decides, utilisation breaks ties within
   * one unit of it (an idle loop before one busy with other things). Requests on one event loop are
   * answered one after another, so the work there is what a new request waits behind; utilisation
   * looks back 100 ms and must not outweigh it. A worker that has not reported for
   * {@link STALE_REPORT_MS} (its loop is stuck, or it stopped reporting) counts {@link STALE_PENALTY} more.
   */
  score(now: number): number {
    const report = this.report;
    const stale = !report || now - this.reportedAt > STALE_REPORT_MS;
    const work = 1 + (report?.inFlight ?? 0) + (report?.queued ?? 0) + this.unreceived;
    return work + (stale ? STALE_PENALTY : (report?.elu ?? 0));
  }
}

/** One worker that may take the connection. */
export interface Candidate {
  readonly slot: number;
  /** Fork order: within a slot the newest ready worker takes the slot's clients. */
  readonly generation: number;
  readonly load: WorkerLoad;
}

/**
 * Picks the worker for one connection among `candidates` (every one ready and taking connections),
 * or undefined when there is none. Ties go round in turn (`turn` grows by one per connection).
 * `client` is the remote address, for `ip-hash`.
 */
export function pickWorker<T extends Candidate>(
  policy: ClusterBalance,
  candidates: readonly T[],
  client: string | undefined,
  turn: number,
  now: number,
): T | undefined {
  if (candidates.length === 0) return undefined;
  if (policy === 'ip-hash') return bySlotHash(candidates, normalizeAddress(client));
  let best: T[] = [];
  let bestValue = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const value =
      policy === 'least-connections'
        ? candidate.load.open
        : policy === 'least-loaded'
          ? candidate.load.score(now)
          : 0;
    if (value < bestValue) {
      bestValue = value;
      best = [candidate];
    } else if (value === bestValue) best.push(candidate);
  }
  return best[turn % best.length];
}

/**
 * Rendezvous hashing over slots: the client goes to the slot with the highest hash of (client, slot)
 * among the slots that have a ready worker, so a client moves only when its slot has none, and comes
 * back once the slot's replacement is ready.
 */
function bySlotHash<T extends Candidate>(candidates: readonly T[], client: string): T | undefined {
  const newest = new Map<number, T>();
  for (const candidate of candidates) {
    const known = newest.get(candidate.slot);
    if (!known || candidate.generation > known.generation) newest.set(candidate.slot, candidate);
  }
  let best: T | undefined;
  let bestHash = -1;
  for (const [slot, candidate] of newest) {
    const hash = fnv1a(`${client}#${slot}`);
    if (hash > bestHash || (hash === bestHash && best && slot < best.slot)) {
      bestHash = hash;
      best = candidate;
    }
  }
  return best;
}

/** `::ffff:127.0.0.2` and `127.0.0.2` are one client. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return '';
  const mapped = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIPv4(mapped) ? mapped : address.toLowerCase();
}

/** 32-bit FNV-1a, finished with a murmur-style mix so that nearby strings spread. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
