// Named probe routes with their own checks, custom status codes, the body hook and Retry-After on a failing readiness.
import { performance } from 'node:perf_hooks';
import { type LbkitError, Lifecycle } from '@lbkit/core';
import { createHealth, type HealthOptions } from '@lbkit/health';
import { afterEach, describe, expect, it } from 'vitest';
import { refusal } from '../../../test/helpers/refusal.js';
import { fetchHealth } from './http-client.js';
import { type Served, serve } from './serve.js';

let served: Served | undefined;

afterEach(async () => {
  await served?.close();
  served = undefined;
});

async function start(options: HealthOptions = {}): Promise<{ url: string; lifecycle: Lifecycle }> {
  const lifecycle = options.lifecycle ?? new Lifecycle();
  served = await serve(createHealth({ cacheMs: 0, ...options, lifecycle }));
  return { url: served.url, lifecycle };
}

function refused(options: Record<string, unknown>): LbkitError {
  return refusal(() => createHealth({ lifecycle: new Lifecycle(), ...options } as HealthOptions));
}

describe('named probes (probes option)', () => {
  it('answers each named path from its own checks, which take no part in readiness', async () => {
    let dbUp = false;
    const { url, lifecycle } = await start({
      checks: { api: () => true },
      probes: { '/health/db': [{ name: 'db', check: () => dbUp }], '/health/ping': async () => true },
      trustedNetworks: ['loopback'],
    });
    lifecycle.markReady();
    expect((await fetchHealth(`${url}/health/db`)).status).toBe(503);
    expect((await fetchHealth(`${url}/health/ready`)).status).toBe(200);
    dbUp = true;
    const db = await fetchHealth(`${url}/health/db`);
    expect(db.status).toBe(200);
    expect(Object.keys((db.json as { checks: object }).checks)).toEqual(['lifecycle:state', 'db']);
    const ping = await fetchHealth(`${url}/health/ping`);
    expect(ping.status).toBe(200);
    expect(Object.keys((ping.json as { checks: object }).checks)).toEqual(['lifecycle:state', 'health.ping']);
  });

  it('fails like readiness while the instance is starting or draining, as terminus does during shutdown', async () => {
    const { url, lifecycle } = await start({ probes: { '/db': () => true } });
    expect((await fetchHealth(`${url}/db`)).status).toBe(503);
    lifecycle.markReady();
    expect((await fetchHealth(`${url}/db`)).status).toBe(200);
    lifecycle.beginDrain('SIGTERM');
    expect((await fetchHealth(`${url}/db`)).status).toBe(503);
  });

  it('lists named probes in routes and reports them by path; an unknown probe is LBKIT_HEALTH_PROBE_UNKNOWN', async () => {
    const health = createHealth({ lifecycle: new Lifecycle(), probes: { '/health/db': () => true } });
    try {
      expect(health.routes.get('/health/db')).toBe('/health/db');
      await expect(health.report('/health/db')).resolves.toMatchObject({ status: 'fail' });
      await expect(health.report('/health/nope')).rejects.toMatchObject({
        code: 'LBKIT_HEALTH_PROBE_UNKNOWN',
      });
    } finally {
      await health.close();
    }
  });

  it('refuses a path another probe uses, a bad path, a value that is no check, and a check name used twice', () => {
    expect(refused({ probes: { '/health/ready': () => true } }).code).toBe('LBKIT_HEALTH_PATH_INVALID');
    expect(refused({ probes: { 'health/db': () => true } }).code).toBe('LBKIT_HEALTH_PATH_INVALID');
    expect(refused({ probes: { '/db': 'SELECT 1' } }).code).toBe('LBKIT_HEALTH_CHECK_INVALID');
    expect(refused({ probes: [] }).code).toBe('LBKIT_HEALTH_OPTION_INVALID');
    expect(
      refused({ checks: { db: () => true }, probes: { '/db': [{ name: 'db', check: () => true }] } }).code,
    ).toBe('LBKIT_HEALTH_CHECK_DUPLICATE');
  });
});

describe('the new options are strict', () => {
  it.each([
    [{ probe: {} }, 'probe', 'probes'],
    [{ statusCode: {} }, 'statusCode', 'statusCodes'],
    [{ onCheckChanged: () => {} }, 'onCheckChanged', 'onCheckChange'],
    [{ onFailureDuringShutdwn: () => {} }, 'onFailureDuringShutdwn', 'onFailureDuringShutdown'],
  ])('refuses %o with the option meant', (options, given, meant) => {
    expect(refused(options)).toMatchObject({
      code: 'LBKIT_HEALTH_OPTION_UNKNOWN',
      message: expect.stringContaining(`unknown option "${given}" — did you mean "${meant}"?`),
    });
  });

  it.each([
    [{ body: 'json' }],
    [{ onCheckChange: true }],
    [{ onFailureDuringShutdown: {} }],
    [{ statusCodes: { pass: 503 } }],
    [{ statusCodes: { warn: 199.5 } }],
  ])('refuses %o with LBKIT_HEALTH_OPTION_INVALID', (options) => {
    expect(refused(options).code).toBe('LBKIT_HEALTH_OPTION_INVALID');
  });
});

describe('statusCodes', () => {
  it('answers the configured status per overall status', async () => {
    let up = true;
    const { url, lifecycle } = await start({
      checks: { api: () => up },
      statusCodes: { pass: 204, fail: 500 },
    });
    lifecycle.markReady();
    expect((await fetchHealth(`${url}/health/ready`)).status).toBe(204);
    up = false;
    expect((await fetchHealth(`${url}/health/ready`)).status).toBe(500);
  });

  it('refuses a failing code a balancer would count as up, and an unknown key', () => {
    expect(refused({ statusCodes: { fail: 200 } })).toMatchObject({
      code: 'LBKIT_HEALTH_OPTION_INVALID',
      message: expect.stringContaining('statusCodes.fail must be a whole number from 400 to 599'),
    });
    expect(refused({ statusCodes: { failed: 500 } })).toMatchObject({
      code: 'LBKIT_HEALTH_OPTION_UNKNOWN',
      message: expect.stringContaining('did you mean "statusCodes.fail"'),
    });
  });
});

describe('body hook', () => {
  it('shapes the public body: objects as JSON, strings as text', async () => {
    const { url, lifecycle } = await start({
      probes: { '/ping': () => true },
      body: ({ probe, report }) =>
        probe === '/ping' ? 'pong' : { status: report.status === 'pass' ? 'ok' : 'error' },
    });
    lifecycle.markReady();
    const ready = await fetchHealth(`${url}/health/ready`);
    expect(ready.headers['content-type']).toBe('application/json');
    expect(ready.json).toEqual({ status: 'ok' });
    const ping = await fetchHealth(`${url}/ping`);
    expect(ping.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(ping.text).toBe('pong');
  });

  it('gives public callers the terse report only, and answers the standard body when it throws', async () => {
    const seen: unknown[] = [];
    const { url, lifecycle } = await start({
      checks: { api: () => ({ status: 'pass', output: 'secret detail' }) },
      body: ({ report, detailed }) => {
        seen.push({ report, detailed });
        throw new Error('broken hook');
      },
    });
    lifecycle.markReady();
    const answer = await fetchHealth(`${url}/health/ready`);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: 'pass' });
    expect(seen).toEqual([{ report: { status: 'pass' }, detailed: false }]);
  });
});

describe('Retry-After on a failing readiness', () => {
  it('says the cache period while checks fail', async () => {
    const { url, lifecycle } = await start({ checks: { api: () => false }, cacheMs: 5_000 });
    lifecycle.markReady();
    const failing = await fetchHealth(`${url}/health/ready`);
    expect(failing.status).toBe(503);
    expect(failing.headers['retry-after']).toBe('5');
  });

  it('says the time left of the drain once the shutdown has said when it ends, nothing on a 200', async () => {
    const { url, lifecycle } = await start();
    lifecycle.markReady();
    lifecycle.holds.endBy(performance.now() + 30_000);
    expect((await fetchHealth(`${url}/health/ready`)).headers['retry-after']).toBeUndefined();
    lifecycle.beginDrain('SIGTERM');
    const draining = await fetchHealth(`${url}/health/ready`);
    expect(draining.status).toBe(503);
    expect(Number(draining.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(draining.headers['retry-after'])).toBeLessThanOrEqual(30);
  });

  it('is not sent on the startup or named probes', async () => {
    const { url } = await start({ probes: { '/db': () => true } });
    for (const path of ['/health/startup', '/db']) {
      const answer = await fetchHealth(`${url}${path}`);
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBeUndefined();
    }
  });
});
