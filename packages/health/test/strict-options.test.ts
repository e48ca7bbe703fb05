// Unknown options are misconfiguration: every factory of @lbkit/health refuses them by name, with the closest known one.
import { Lifecycle } from '@lbkit/core';
import {
  createHealth,
  eventLoopDelayCheck,
  type HealthOptions,
  heapCheck,
  mongodbCheck,
  mysqlCheck,
  postgresCheck,
  redisCheck,
  rssCheck,
} from '@lbkit/health';
import { describe, expect, it } from 'vitest';
import { refusal } from '../../../test/helpers/refusal.js';
import { answerToUncalled } from '../../../test/helpers/uncalled.js';

const lifecycle = new Lifecycle();
const pass = (): boolean => true;
const health = (options: Record<string, unknown>) => () =>
  createHealth({ lifecycle, ...options } as HealthOptions);
// Options are read before the client is looked at, so a stand-in object is enough here.
const client = {};

describe('misspelt options are refused with LBKIT_HEALTH_OPTION_UNKNOWN and the option meant', () => {
  it.each([
    ['createHealth({ chekcs })', health({ chekcs: [] }), 'chekcs', 'checks'],
    ['createHealth({ timeout })', health({ timeout: 500 }), 'timeout', 'timeoutMs'],
    ['createHealth({ trustedNetwork })', health({ trustedNetwork: [] }), 'trustedNetwork', 'trustedNetworks'],
    [
      'createHealth({ paths: { readines } })',
      health({ paths: { readines: '/r' } }),
      'paths.readines',
      'paths.readiness',
    ],
    [
      'a check object with chek',
      health({ checks: [{ name: 'api', chek: pass }] }),
      'checks[0].chek',
      'checks[0].check',
    ],
    [
      'a check in a record with critcal',
      health({ checks: { api: { check: pass, critcal: false } } }),
      'checks.api.critcal',
      'checks.api.critical',
    ],
    ['redisCheck(client, { knd })', () => redisCheck(client, { knd: 'ioredis' } as never), 'knd', 'kind'],
    [
      'postgresCheck(pool, { qeury })',
      () => postgresCheck(client, { qeury: 'SELECT 2' } as never),
      'qeury',
      'query',
    ],
    [
      'mysqlCheck(pool, { timeout })',
      () => mysqlCheck(client, { timeout: 100 } as never),
      'timeout',
      'timeoutMs',
    ],
    [
      'mongodbCheck(client, { componenttype })',
      () => mongodbCheck(client, { componenttype: 'db' } as never),
      'componenttype',
      'componentType',
    ],
    ['heapCheck({ maxratio })', () => heapCheck({ maxratio: 0.8 } as never), 'maxratio', 'maxRatio'],
    ['rssCheck({ maxByte })', () => rssCheck({ maxByte: 1e9 } as never), 'maxByte', 'maxBytes'],
    [
      'eventLoopDelayCheck({ percentil })',
      () => eventLoopDelayCheck({ percentil: 90 } as never),
      'percentil',
      'percentile',
    ],
  ])('%s', (_name, fn, given, meant) => {
    const { code, message } = refusal(fn);
    expect(code).toBe('LBKIT_HEALTH_OPTION_UNKNOWN');
    expect(message).toContain(`unknown option "${given}" — did you mean "${meant}"?`);
  });

  it('names no option when nothing known is close', () => {
    const { code, message } = refusal(health({ colour: 'blue' }));
    expect(code).toBe('LBKIT_HEALTH_OPTION_UNKNOWN');
    expect(message).toContain('unknown option "colour"');
    expect(message).not.toContain('did you mean');
  });
});

describe('options of the wrong type or range are refused with LBKIT_HEALTH_OPTION_INVALID', () => {
  it.each([
    ['options that are not an object', () => createHealth('checks' as never)],
    ['paths that are not an object', health({ paths: '/health' })],
    ['a check timeout as a string', health({ checks: [{ name: 'x', check: pass, timeoutMs: '5' }] })],
    ['redisCheck kind not a driver', () => redisCheck(client, { kind: 'valkey' as never })],
    ['postgresCheck query as a number', () => postgresCheck(client, { query: 1 as never })],
    ['mysqlCheck query empty', () => mysqlCheck(client, { query: ' ' })],
    ['mongodbCheck critical as a string', () => mongodbCheck(client, { critical: 'yes' as never })],
    ['heapCheck warnRatio above 1', () => heapCheck({ warnRatio: 2 })],
    ['rssCheck maxBytes of 0', () => rssCheck({ maxBytes: 0 })],
    ['eventLoopDelayCheck resolutionMs fractional', () => eventLoopDelayCheck({ resolutionMs: 0.5 })],
    ['a built-in check with a startup flag as a number', () => heapCheck({ startup: 1 as never })],
  ])('%s', (_name, fn) => {
    expect(refusal(fn).code).toBe('LBKIT_HEALTH_OPTION_INVALID');
  });

  it('a built-in check refuses a bad name with LBKIT_HEALTH_CHECK_NAME_INVALID when it is made', () => {
    expect(refusal(() => heapCheck({ name: 'my heap' })).code).toBe('LBKIT_HEALTH_CHECK_NAME_INVALID');
  });

  it('accepts a multi-line SQL query', () => {
    const check = postgresCheck(
      { totalCount: 0, idleCount: 0, query: async (sql: string) => sql },
      { query: 'SELECT 1\n  -- health' },
    );
    expect(check.name).toBe('postgres:responseTime');
  });
});

describe('createHealth mounted without being called', () => {
  it('answers the request with LBKIT_HEALTH_FACTORY_NOT_CALLED instead of hanging', async () => {
    // the mistake: app.use(createHealth) instead of createHealth({ … })
    const { status, text } = await answerToUncalled((app) => app.use(createHealth as never), '/health/ready');
    expect(status).toBe(500);
    expect(text).toBe('LBKIT_HEALTH_FACTORY_NOT_CALLED');
  });
});
