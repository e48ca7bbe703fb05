// What the demo's live page computes, without a browser: the command line, the 60 s history and share, the labels, the rates, the buttons' actions.
import { describe, expect, it } from 'vitest';
import { Actions } from '../../examples/cluster/src/actions.js';
import { HISTORY_MS, History, quantile, type Sample } from '../../examples/cluster/src/history.js';
import { readDemoOptions } from '../../examples/cluster/src/options.js';
import { instanceView, Rates, sessionsLabel } from '../../examples/cluster/src/snapshot.js';
import { type InstanceStats, STATS_MESSAGE } from '../../examples/cluster/src/stats.js';
import type { WorkerView } from '../../examples/cluster/src/supervisor.js';

const stats = (over: Partial<InstanceStats> = {}): InstanceStats => ({
  type: STATS_MESSAGE,
  instance: 'instance-1',
  pid: 100,
  at: 1000,
  state: 'ready',
  inFlight: 0,
  connections: 0,
  limit: 20,
  queued: 0,
  admitted: 0,
  shed: 0,
  health: 'pass',
  sessions: 'redis',
  sessionOps: 0,
  sessionsAvailable: true,
  ...over,
});
const worker = (over: Partial<WorkerView> = {}): WorkerView => ({
  slot: 0,
  generation: 1,
  pid: 100,
  status: 'ready',
  exitCode: undefined,
  stats: stats(),
  ...over,
});
const tick = (t: number, served: number[]): Sample => ({
  t,
  slots: served.map((s, slot) => ({
    slot,
    served: s,
    shed: 0,
    p50: null,
    p99: null,
    limit: 20,
    inFlight: 0,
    queued: 0,
  })),
  pool: { served: served.reduce((a, b) => a + b, 0), shed: 0, p50: null, p99: null, inFlight: 0, ready: 3 },
});

describe('pnpm demo command line', () => {
  it('reads the options the same with and without the leading -- that pnpm 10 passes on', () => {
    expect(readDemoOptions(['--', '--lb', 'haproxy'], {}).lb).toBe('haproxy');
    expect(readDemoOptions(['--lb', 'haproxy'], {}).lb).toBe('haproxy');
    expect(readDemoOptions(['--', '--instances', '4'], {}).instances).toBe(4);
  });

  it('still refuses a stray argument after the leading --', () => {
    expect(() => readDemoOptions(['--', 'haproxy'], {})).toThrow(/Unexpected argument/);
  });
});

describe('the live page history', () => {
  it('gives each slot its share of the requests served, summing to 100 %', () => {
    const history = new History();
    for (let t = 0; t <= 10_000; t += 500) history.push(tick(t, [100, 50, 50]));
    const share = history.share(3);
    expect(share.map((s) => s.percent)).toEqual([50, 25, 25]);
    expect(share.reduce((a, s) => a + s.percent, 0)).toBeCloseTo(100, 5);
    expect(share[0]!.requests).toBe(1000);
  });

  it('reads 0 % for every slot when nothing was served, and forgets samples older than 60 s', () => {
    const history = new History();
    history.push(tick(0, [0, 0]));
    history.push(tick(500, [0, 0]));
    expect(history.share(2).map((s) => s.percent)).toEqual([0, 0]);
    history.push(tick(HISTORY_MS + 1000, [10, 0]));
    expect(history.samples.map((s) => s.t)).toEqual([HISTORY_MS + 1000]);
  });

  it('takes percentiles by nearest rank, and none of no answers', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile([], 0.5)).toBeNull();
  });
});

describe('the live page labels', () => {
  it('never shows the sessions of an exited or draining instance as a Redis outage', () => {
    const closed = stats({ sessionsAvailable: false, state: 'stopped' });
    expect(sessionsLabel(worker({ status: 'exited', stats: closed }), closed)).toBe(
      'redis (closed with the instance)',
    );
    expect(sessionsLabel(worker({ status: 'draining', stats: closed }), closed)).toBe(
      'redis (closed by the drain)',
    );
    const down = stats({ sessionsAvailable: false });
    expect(sessionsLabel(worker({ stats: down }), down)).toBe('redis (unreachable)');
    expect(sessionsLabel(worker(), stats({ sessions: 'memory' }))).toBe('memory (this instance only)');
  });

  it('says what the concurrency limit means: the maximum before it measured, holding while idle', () => {
    const rate = { shed: 0, served: 0 };
    expect(instanceView(worker({ stats: stats({ limit: 1000 }) }), rate).limitNote).toMatch(/not measured/);
    expect(instanceView(worker({ stats: stats({ limit: 20, inFlight: 1 }) }), rate).limitNote).toMatch(
      /^limit holds still/,
    );
    expect(instanceView(worker({ stats: stats({ limit: 20, inFlight: 15 }) }), rate).limitNote).toMatch(
      /^limit adapting/,
    );
  });
});

describe('the live page rates', () => {
  it('computes served and shed per second between two reports, and keeps the rate on a tick without a report', () => {
    const rates = new Rates();
    expect(rates.read(worker({ stats: stats({ at: 1000, admitted: 0 }) }))).toEqual({ shed: 0, served: 0 });
    const next = worker({ stats: stats({ at: 1300, admitted: 30, shed: 3 }) });
    const rate = rates.read(next);
    expect(rate.served).toBeCloseTo(100, 5);
    expect(rate.shed).toBeCloseTo(10, 5);
    expect(rates.read(next)).toEqual(rate);
    expect(rates.read({ ...next, status: 'exited' })).toEqual({ shed: 0, served: 0 });
  });
});

describe('the live page buttons', () => {
  it('shows an action as running with its label, then its result, and refuses a second one meanwhile', async () => {
    const actions = new Actions();
    let finish!: () => void;
    const started = actions.run(
      'roll',
      'roll',
      () => 'rolling…',
      () => new Promise((resolve) => (finish = () => resolve({ text: 'rolled: 0 failed' }))),
    );
    expect(started).toBe(true);
    expect(actions.view().roll).toMatchObject({ running: true, label: 'rolling…', result: undefined });
    expect(
      actions.run(
        'roll',
        'roll',
        () => '',
        async () => ({ text: '' }),
      ),
    ).toBe(false);
    finish();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(actions.view().roll).toMatchObject({ running: false, result: 'rolled: 0 failed', failed: false });
  });

  it('shows a task that threw as a failed result', async () => {
    const actions = new Actions();
    actions.run(
      'slot-1',
      'drain',
      () => 'draining…',
      async () => {
        throw new Error('boom');
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(actions.view()['slot-1']).toMatchObject({ running: false, result: 'failed: boom', failed: true });
  });
});
