// What the live page shows about each worker, and the tick's sample for the charts, from the supervisor's view.
import { type PoolSample, quantile, type Sample, type SlotSample } from './history.js';
import type { InstanceStats } from './stats.js';
import type { WorkerView } from './supervisor.js';

/** The load shedder's `max` in the demo app (@lbkit/shedding's default): the limit before it has measured anything. */
export const LIMIT_MAX = 1000;

/** What the page shows about one worker. */
export interface InstanceView {
  readonly slot: number;
  readonly generation: number;
  readonly pid: number | undefined;
  readonly status: string;
  readonly state: string;
  readonly instance: string | undefined;
  readonly inFlight: number;
  readonly limit: number;
  /** What the limit's number means right now (it holds still while idle). */
  readonly limitNote: string;
  readonly queued: number;
  readonly shedPerSecond: number;
  readonly servedPerSecond: number;
  readonly health: string;
  readonly sessions: string;
  readonly sessionOps: number;
  readonly exitCode: number | null | undefined;
}

/**
 * Per-second rates from cumulative counters, per worker, between two of its reports (every 300 ms):
 * a page tick that saw no new report keeps the last rate instead of reading 0.
 */
export class Rates {
  readonly #last = new Map<number, { at: number; shed: number; admitted: number; rate: Rate }>();

  read(worker: WorkerView): Rate {
    const stats = worker.stats;
    const pid = worker.pid ?? -1;
    if (!stats) return { shed: 0, served: 0 };
    const last = this.#last.get(pid);
    if (last && stats.at === last.at) return worker.status === 'exited' ? { shed: 0, served: 0 } : last.rate;
    const seconds = last ? (stats.at - last.at) / 1000 : 0;
    const rate =
      last && seconds > 0
        ? {
            shed: Math.max(0, stats.shed - last.shed) / seconds,
            served: Math.max(0, stats.admitted - last.admitted) / seconds,
          }
        : { shed: 0, served: 0 };
    this.#last.set(pid, { at: stats.at, shed: stats.shed, admitted: stats.admitted, rate });
    return rate;
  }

  /** Forgets workers that are gone. */
  keep(pids: ReadonlySet<number>): void {
    for (const pid of this.#last.keys()) if (!pids.has(pid)) this.#last.delete(pid);
  }
}

/** Requests per second of one worker. */
export interface Rate {
  readonly shed: number;
  readonly served: number;
}

/**
 * Where the worker's sessions live, said so that an instance that exited or drained (its store
 * closed with it) never reads as a Redis outage.
 */
export function sessionsLabel(worker: WorkerView, s: InstanceStats | undefined): string {
  if (!s) return '-';
  if (s.sessions === 'memory') return 'memory (this instance only)';
  if (worker.status === 'exited') return 'redis (closed with the instance)';
  if (s.sessionsAvailable) return 'redis';
  if (worker.status === 'draining' || s.state === 'draining' || s.state === 'stopped') {
    return 'redis (closed by the drain)';
  }
  return 'redis (unreachable)';
}

function limitNote(worker: WorkerView, s: InstanceStats | undefined): string {
  if (!s || worker.status === 'exited') return '';
  if (s.limit >= LIMIT_MAX) return 'limit = the maximum: not measured yet, limits nothing';
  if (s.inFlight * 2 < s.limit) return 'limit holds still: in flight is below half of it';
  return 'limit adapting: in flight is near it';
}

const tenth = (n: number): number => Math.round(n * 10) / 10;

/** One worker as the page shows it. */
export function instanceView(worker: WorkerView, rate: Rate): InstanceView {
  const s = worker.stats;
  const exited = worker.status === 'exited';
  return {
    slot: worker.slot,
    generation: worker.generation,
    pid: worker.pid,
    status: worker.status,
    state: exited ? 'exited' : (s?.state ?? worker.status),
    instance: s?.instance,
    inFlight: exited ? 0 : (s?.inFlight ?? 0),
    limit: s?.limit ?? 0,
    limitNote: limitNote(worker, s),
    queued: exited ? 0 : (s?.queued ?? 0),
    shedPerSecond: tenth(rate.shed),
    servedPerSecond: tenth(rate.served),
    health: exited ? '-' : (s?.health ?? '-'),
    sessions: sessionsLabel(worker, s),
    sessionOps: s?.sessionOps ?? 0,
    exitCode: worker.exitCode,
  };
}

/** The tick's sample: per slot (the slot's processes summed), and the pool; latencies from the page's load. */
export function sample(
  now: number,
  slots: number,
  views: readonly InstanceView[],
  latencies: Map<string, number[]>,
): Sample {
  const perSlot: SlotSample[] = [];
  const all: number[] = [];
  for (const list of latencies.values()) all.push(...list);
  for (let slot = 0; slot < slots; slot++) {
    const mine = views.filter((v) => v.slot === slot);
    const live = mine.filter((v) => v.status !== 'exited');
    const newest = live[live.length - 1];
    const ms = [...new Set(mine.map((v) => v.instance ?? `instance-${slot + 1}`))].flatMap(
      (name) => latencies.get(name) ?? [],
    );
    perSlot.push({
      slot,
      served: tenth(mine.reduce((t, v) => t + v.servedPerSecond, 0)),
      shed: tenth(mine.reduce((t, v) => t + v.shedPerSecond, 0)),
      p50: quantile(ms, 0.5),
      p99: quantile(ms, 0.99),
      limit: newest && newest.limit > 0 ? newest.limit : null,
      inFlight: live.reduce((t, v) => t + v.inFlight, 0),
      queued: live.reduce((t, v) => t + v.queued, 0),
    });
  }
  const pool: PoolSample = {
    served: tenth(perSlot.reduce((t, s) => t + s.served, 0)),
    shed: tenth(perSlot.reduce((t, s) => t + s.shed, 0)),
    p50: quantile(all, 0.5),
    p99: quantile(all, 0.99),
    inFlight: perSlot.reduce((t, s) => t + s.inFlight, 0),
    ready: views.filter((v) => v.state === 'ready').length,
  };
  return { t: now, slots: perSlot, pool };
}
