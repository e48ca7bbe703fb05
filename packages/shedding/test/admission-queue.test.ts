// The CoDel-style admission queue: FIFO with a long bound while it keeps emptying, LIFO with a short one once it does not.
import { describe, expect, it } from 'vitest';
import { AdmissionQueue, type QueueEntry } from '../src/admission-queue.js';

function entry(priority: 'default' | 'sheddable', queuedAt: number, id: string): QueueEntry & { id: string } {
  return { priority, queuedAt, prev: undefined, next: undefined, queued: false, id };
}

const idOf = (e: QueueEntry | undefined): string | undefined =>
  (e as unknown as { id: string } | undefined)?.id;

const settings = { targetMs: 5, intervalMs: 100, maxLength: 4 };

describe('AdmissionQueue', () => {
  it('serves oldest first while it keeps emptying', () => {
    const q = new AdmissionQueue(settings);
    q.push(entry('default', 0, 'a'), 0);
    q.push(entry('default', 1, 'b'), 1);
    expect(q.overloaded(50)).toBe(false);
    expect(idOf(q.shift(50))).toBe('a');
    expect(idOf(q.shift(50))).toBe('b');
    expect(q.size).toBe(0);
  });

  it('lets a request wait up to intervalMs while not overloaded, so bursts are absorbed', () => {
    const q = new AdmissionQueue(settings);
    q.push(entry('default', 0, 'a'), 0);
    expect(q.expired(90)).toHaveLength(0);
    expect(q.nextDeadline(90)).toBe(100);
    const dropped = q.expired(101);
    expect(dropped.map((e) => idOf(e))).toEqual(['a']);
  });

  it('becomes overloaded once the oldest request has waited longer than targetMs for intervalMs, then serves newest first', () => {
    const q = new AdmissionQueue(settings);
    q.push(entry('default', 0, 'a'), 0);
    q.push(entry('default', 99, 'b'), 99);
    // 'a' has been above the 5 ms target since t = 5: a whole interval only at t = 105.
    expect(q.overloaded(99)).toBe(false);
    expect(q.overloaded(104)).toBe(false);
    q.push(entry('default', 105, 'c'), 105);
    expect(q.overloaded(105)).toBe(true);
    expect(idOf(q.shift(105))).toBe('c');
  });

  it('is not overloaded by a queue that never empties but keeps turning over within targetMs', () => {
    const q = new AdmissionQueue(settings);
    // A request joins every 2 ms and the one before it leaves 3 ms after joining: never empty for
    // 300 ms, never a wait above 5 ms.
    q.push(entry('default', 0, 'r0'), 0);
    for (let t = 2; t <= 300; t += 2) {
      q.push(entry('default', t, `r${t}`), t);
      expect(q.overloaded(t + 1)).toBe(false);
      expect(idOf(q.shift(t + 1))).toBe(`r${t - 2}`);
    }
    expect(q.size).toBe(1);
  });

  it('is not overloaded by the backlog of one pause when it drains below targetMs in time', () => {
    const q = new AdmissionQueue({ ...settings, maxLength: 100 });
    // 80% utilisation: a request every 2.5 ms, 2 ms of service each, after a 24 ms pause. The queue
    // stays non-empty for more than an interval, but the wait of its oldest request falls below
    // the target within one.
    let arrival = 0;
    let service = 24;
    for (let now = 0; now <= 300; now += 0.5) {
      if (now >= arrival) {
        q.push(entry('default', arrival, `r${arrival}`), arrival);
        arrival += 2.5;
      }
      if (now >= service) {
        if (q.size > 0) {
          q.shift(now);
          service = now + 2;
        } else service = now;
      }
      expect(q.overloaded(now)).toBe(false);
    }
  });

  it('bounds waiting to targetMs while overloaded', () => {
    const q = new AdmissionQueue(settings);
    q.push(entry('default', 0, 'old'), 0);
    q.push(entry('default', 104, 'fresh'), 104);
    expect(q.bound(106)).toBe(5);
    const dropped = q.expired(107).map((e) => idOf(e));
    expect(dropped).toEqual(['old']);
    expect(q.size).toBe(1);
  });

  it('stays overloaded through a brief empty moment and leaves after half an interval empty', () => {
    const q = new AdmissionQueue(settings);
    const a = entry('default', 0, 'a');
    q.push(a, 0);
    expect(q.overloaded(105)).toBe(true);
    q.remove(a, 105);
    expect(q.overloaded(125)).toBe(true);
    q.push(entry('default', 135, 'b'), 135);
    q.shift(136);
    expect(q.overloaded(165)).toBe(true);
    expect(q.overloaded(186)).toBe(false);
    expect(q.bound(186)).toBe(100);
  });

  it('serves default before sheddable and sheds every sheddable entry once overloaded', () => {
    const q = new AdmissionQueue({ ...settings, maxLength: 10 });
    q.push(entry('sheddable', 0, 's1'), 0);
    q.push(entry('default', 1, 'd1'), 1);
    expect(idOf(q.shift(2))).toBe('d1');
    q.push(entry('default', 3, 'd2'), 3);
    q.push(entry('sheddable', 99, 's2'), 99);
    const dropped = q.expired(106).map((e) => idOf(e));
    expect(dropped).toContain('s1');
    expect(dropped).toContain('s2');
    expect(dropped).toContain('d2');
    expect(q.size).toBe(0);
  });

  it('evicts the oldest, lowest-priority entry when full', () => {
    const q = new AdmissionQueue(settings);
    q.push(entry('default', 0, 'd1'), 0);
    q.push(entry('sheddable', 1, 's1'), 1);
    q.push(entry('default', 2, 'd2'), 2);
    q.push(entry('default', 3, 'd3'), 3);
    expect(idOf(q.push(entry('default', 4, 'd4'), 4))).toBe('s1');
    expect(idOf(q.push(entry('default', 5, 'd5'), 5))).toBe('d1');
    expect(q.size).toBe(4);
  });

  it('removes an entry whose client went away, and ignores a second removal', () => {
    const q = new AdmissionQueue(settings);
    const a = entry('default', 0, 'a');
    const b = entry('default', 1, 'b');
    q.push(a, 0);
    q.push(b, 1);
    q.remove(a, 2);
    q.remove(a, 2);
    expect(q.size).toBe(1);
    expect(idOf(q.shift(3))).toBe('b');
    expect(q.shift(3)).toBeUndefined();
  });

  it('serves newest first, before it is overloaded, a backlog that cannot be served within intervalMs at its pace (a retry storm)', () => {
    const q = new AdmissionQueue({ ...settings, maxLength: 100 });
    for (let i = 0; i < 30; i++) q.push(entry('default', 0, `e${i}`), 0);
    // No pace known yet: the oldest first.
    expect(idOf(q.shift(4))).toBe('e0');
    // One served every 4 ms: the 29 left need 116 ms, more than the 100 ms interval.
    expect(q.backlogged()).toBe(true);
    expect(q.overloaded(8)).toBe(false);
    expect(idOf(q.shift(8))).toBe('e29');
    // The order changes, not the bound: nothing has waited 100 ms yet.
    expect(q.expired(8)).toHaveLength(0);
    expect(q.bound(8)).toBe(100);
  });

  it('keeps serving oldest first a backlog its pace drains within intervalMs', () => {
    const q = new AdmissionQueue({ ...settings, maxLength: 100 });
    for (let i = 0; i < 5; i++) q.push(entry('default', 0, `e${i}`), 0);
    expect(idOf(q.shift(4))).toBe('e0');
    // 4 left at 4 ms each: 16 ms.
    expect(q.backlogged()).toBe(false);
    expect(idOf(q.shift(8))).toBe('e1');
  });
});
