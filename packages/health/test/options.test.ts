// Misconfiguration fails at startup with a stable LBKIT_HEALTH_… code and a hint.
import { isLbkitError, Lifecycle } from '@lbkit/core';
import {
  createHealth,
  type HealthOptions,
  heapCheck,
  mongodbCheck,
  mysqlCheck,
  postgresCheck,
  redisCheck,
} from '@lbkit/health';
import { describe, expect, it } from 'vitest';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isLbkitError(error)) {
      expect(error.hint).toBeTruthy();
      return error.code;
    }
    throw error;
  }
  return undefined;
}

const lifecycle = new Lifecycle();
const pass = (): boolean => true;
const make = (options: Record<string, unknown>) => () =>
  createHealth({ lifecycle, ...options } as HealthOptions);

describe('createHealth refuses misconfiguration', () => {
  it.each([
    ['a negative timeout', { timeoutMs: -1 }, 'LBKIT_HEALTH_OPTION_INVALID'],
    ['a zero timeout', { timeoutMs: 0 }, 'LBKIT_HEALTH_OPTION_INVALID'],
    ['a fractional cacheMs', { cacheMs: 1.5 }, 'LBKIT_HEALTH_OPTION_INVALID'],
    ['a string intervalMs', { intervalMs: '1000' }, 'LBKIT_HEALTH_OPTION_INVALID'],
    ['a timeout beyond setTimeout', { timeoutMs: 2 ** 31 }, 'LBKIT_HEALTH_OPTION_INVALID'],
    ['something that is not a lifecycle', { lifecycle: { state: 1 } }, 'LBKIT_HEALTH_OPTION_INVALID'],
    ['a serviceId with a newline', { serviceId: 'a\nb' }, 'LBKIT_HEALTH_OPTION_INVALID'],
    ['a relative path', { paths: { readiness: 'ready' } }, 'LBKIT_HEALTH_PATH_INVALID'],
    ['a path with a query', { paths: { readiness: '/ready?x' } }, 'LBKIT_HEALTH_PATH_INVALID'],
    ['two probes on one path', { paths: { readiness: '/health' } }, 'LBKIT_HEALTH_PATH_INVALID'],
    ['a bad network', { trustedNetworks: ['10.0.0.0/33'] }, 'LBKIT_HEALTH_NETWORK_INVALID'],
    ['a hostname as network', { trustedNetworks: ['example.com'] }, 'LBKIT_HEALTH_NETWORK_INVALID'],
    ['networks as a string', { trustedNetworks: '10.0.0.0/8' }, 'LBKIT_HEALTH_NETWORK_INVALID'],
    ['a short token', { token: 'secret' }, 'LBKIT_HEALTH_TOKEN_WEAK'],
    ['a bad token header', { token: 'x'.repeat(20), tokenHeader: 'x token' }, 'LBKIT_HEALTH_OPTION_INVALID'],
    ['allowDetails as a boolean', { allowDetails: true }, 'LBKIT_HEALTH_OPTION_INVALID'],
    ['checks as a function', { checks: () => true }, 'LBKIT_HEALTH_CHECK_INVALID'],
    ['a check without a check function', { checks: [{ name: 'x' }] }, 'LBKIT_HEALTH_CHECK_INVALID'],
    ['an anonymous function', { checks: [async () => true] }, 'LBKIT_HEALTH_CHECK_NAME_INVALID'],
    ['a name with spaces', { checks: [{ name: 'my db', check: pass }] }, 'LBKIT_HEALTH_CHECK_NAME_INVALID'],
    ['a name with two colons', { checks: { 'a:b:c': pass } }, 'LBKIT_HEALTH_CHECK_NAME_INVALID'],
    [
      'a critical flag as a string',
      { checks: [{ name: 'x', check: pass, critical: 'no' }] },
      'LBKIT_HEALTH_OPTION_INVALID',
    ],
    [
      'a check timeout of zero',
      { checks: [{ name: 'x', check: pass, timeoutMs: 0 }] },
      'LBKIT_HEALTH_OPTION_INVALID',
    ],
    [
      'two checks with one name',
      {
        checks: [
          { name: 'x', check: pass },
          { name: 'x', check: pass },
        ],
      },
      'LBKIT_HEALTH_CHECK_DUPLICATE',
    ],
    ['a reserved name', { checks: { uptime: pass } }, 'LBKIT_HEALTH_CHECK_DUPLICATE'],
  ])('refuses %s', (_name, options, code) => {
    expect(codeOf(make(options))).toBe(code);
  });

  it('accepts named functions, records and every documented option', async () => {
    async function billing() {
      return true;
    }
    const health = createHealth({
      lifecycle,
      checks: [billing, { name: 'queue:depth', check: pass, critical: false, startup: true, cacheMs: 0 }],
      timeoutMs: 500,
      cacheMs: 0,
      intervalMs: 1000,
      paths: { health: false },
      trustedNetworks: ['loopback', 'private', '192.0.2.1', '2001:db8::/32'],
      token: 'x'.repeat(16),
      tokenHeader: 'X-Probe-Token',
      allowDetails: () => false,
      serviceId: 'svc',
      description: 'the service',
      version: '1',
      releaseId: 'abc',
    });
    expect([...health.routes.keys()]).toEqual(['/health/live', '/health/ready', '/health/startup']);
    await health.close();
    const fromRecord = createHealth({ lifecycle, checks: { 'api:responseTime': async () => true } });
    expect((await fromRecord.report('readiness')).checks).toHaveProperty(['api:responseTime']);
    await fromRecord.close();
  });
});

describe('built-in checks refuse what they cannot use', () => {
  it.each([
    ['redisCheck with a plain object', () => redisCheck({ ping: async () => 'PONG' })],
    ['redisCheck with a pg-like object', () => redisCheck({ query: async () => ({}) })],
    ['postgresCheck with a redis-like object', () => postgresCheck({ ping: async () => 'PONG' })],
    ['postgresCheck with an object that only has query()', () => postgresCheck({ query: async () => ({}) })],
    ['mysqlCheck with an object that only has query()', () => mysqlCheck({ query: async () => ({}) })],
    ['mongodbCheck with an object that only has db()', () => mongodbCheck({ db: () => ({}) })],
    ['redisCheck with null', () => redisCheck(null as never)],
  ])('%s', (_name, fn) => {
    expect(codeOf(fn)).toBe('LBKIT_HEALTH_CLIENT_UNRECOGNIZED');
  });

  it('refuses thresholds out of range', () => {
    expect(codeOf(() => heapCheck({ maxRatio: 1.5 }))).toBe('LBKIT_HEALTH_OPTION_INVALID');
    expect(codeOf(() => redisCheck({ ping: async () => 'PONG' }, { kind: 'valkey' as never }))).toBe(
      'LBKIT_HEALTH_OPTION_INVALID',
    );
  });
});
