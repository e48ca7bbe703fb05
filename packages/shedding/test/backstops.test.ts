// Static backstops trip above high and clear only below low, so a reading at the threshold does not flap.
import { describe, expect, it } from 'vitest';
import { Backstops } from '../src/backstops.js';

const readings = (heapUsedBytes: number, eventLoopUtilization = 0) => ({
  eventLoopDelayMs: 0,
  eventLoopUtilization,
  heapUsedBytes,
  rssBytes: 0,
});

describe('Backstops', () => {
  it('trips above high and stays tripped until the reading falls below low', () => {
    const b = new Backstops({ heapUsedBytes: { high: 100, low: 80 } });
    b.update(readings(90));
    expect(b.any).toBe(false);
    b.update(readings(101));
    expect(b.tripped).toEqual(['heapUsedBytes']);
    b.update(readings(85));
    expect(b.any).toBe(true);
    b.update(readings(79));
    expect(b.any).toBe(false);
  });

  it('reports each tripped backstop by name', () => {
    const b = new Backstops({
      heapUsedBytes: { high: 100, low: 90 },
      eventLoopUtilization: { high: 0.9, low: 0.8 },
    });
    b.update(readings(200, 0.95));
    expect([...b.tripped].sort()).toEqual(['eventLoopUtilization', 'heapUsedBytes']);
  });

  it('does nothing when no threshold is set', () => {
    const b = new Backstops({});
    b.update(readings(1e12, 1));
    expect(b.any).toBe(false);
  });
});
