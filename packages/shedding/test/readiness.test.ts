// overloadCheck: sustained shedding reports warn (or fail) to readiness, in @lbkit/health's check shape.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import type { HealthCheck } from '@lbkit/health';
import { LoadShedder, overloadCheck } from '@lbkit/shedding';
import { afterEach, describe, expect, it } from 'vitest';

const clock = { now: 0 };
const shedders: LoadShedder[] = [];
afterEach(() => {
  for (const s of shedders.splice(0)) s.close();
});

function request(url = '/work'): { req: IncomingMessage; res: ServerResponse } {
  const req = new IncomingMessage(new Socket());
  req.url = url;
  req.method = 'GET';
  return { req, res: new ServerResponse(req) };
}

/** A shedder with room for one request, held forever, so every other request is shed. */
function saturated(): LoadShedder {
  const shedder = new LoadShedder({
    lifecycle: new Lifecycle(),
    concurrencyLimit: 1,
    queue: false,
    clock: () => clock.now,
  });
  shedders.push(shedder);
  const held = request();
  shedder.admit(held.req, held.res, () => {});
  return shedder;
}

/** Offers `perSecond` requests a second for `seconds` of simulated time. */
function offer(shedder: LoadShedder, seconds: number, perSecond = 20): void {
  for (let i = 0; i < seconds * perSecond; i++) {
    clock.now += 1000 / perSecond;
    const { req, res } = request();
    shedder.admit(req, res, () => {});
  }
}

describe('overloadCheck', () => {
  it('has the shape of an @lbkit/health check, non-critical for warn', () => {
    const check: HealthCheck = overloadCheck(saturated());
    expect(check.name).toBe('shedding:overload');
    expect(check.critical).toBe(false);
    expect(check.componentType).toBe('system');
  });

  it('passes while nothing is shed', async () => {
    const shedder = new LoadShedder({ lifecycle: new Lifecycle(), clock: () => clock.now });
    shedders.push(shedder);
    const result = await overloadCheck(shedder).check(new AbortController().signal);
    expect(result).toEqual({ status: 'pass', observedValue: 0, observedUnit: 'percent' });
  });

  it('keeps passing during a short burst of shedding', async () => {
    const shedder = saturated();
    offer(shedder, 3);
    const result = await overloadCheck(shedder, { sustainedMs: 10_000 }).check(new AbortController().signal);
    expect(result.status).toBe('pass');
    expect(result.observedValue).toBeGreaterThan(90);
  });

  it('reports warn once shedding has lasted sustainedMs', async () => {
    const shedder = saturated();
    offer(shedder, 12);
    const result = await overloadCheck(shedder, { sustainedMs: 10_000 }).check(new AbortController().signal);
    expect(result.status).toBe('warn');
    expect(result.observedUnit).toBe('percent');
    expect(result.output).toMatch(/^shedding 100% of requests for 1[12] s/);
  });

  it('reports fail, as a critical check, when configured to take the instance out of rotation', async () => {
    const shedder = saturated();
    offer(shedder, 12);
    const check = overloadCheck(shedder, { status: 'fail', sustainedMs: 5_000 });
    expect(check.critical).toBe(true);
    expect((await check.check(new AbortController().signal)).status).toBe('fail');
  });

  it('passes again once shedding has stopped for a second', async () => {
    const shedder = saturated();
    offer(shedder, 12);
    clock.now += 2500;
    expect((await overloadCheck(shedder).check(new AbortController().signal)).status).toBe('pass');
  });
});
