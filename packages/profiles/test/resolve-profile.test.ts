// resolveProfile(): derivation rules, overrides, combinations, refusals and the frozen result with its sources.
import { isLbkitError } from '@lbkit/core';
import { resolveProfile } from '@lbkit/profiles';
import { describe, expect, it } from 'vitest';

function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (!isLbkitError(error)) throw error;
    return { code: error.code, message: error.message };
  }
  throw new Error('expected an LbkitError, nothing was thrown');
}

describe('resolveProfile() derivations', () => {
  it('keeps keepAliveTimeout above the balancer idle timeout and headersTimeout above that', () => {
    const alb = resolveProfile('aws-alb', undefined, {});
    expect(alb.server.keepAliveTimeout).toBeGreaterThan(60_000);
    expect(alb.server.headersTimeout).toBeGreaterThan(alb.server.keepAliveTimeout);
    expect(alb.server.requestTimeout).toBeGreaterThanOrEqual(alb.server.headersTimeout);
    expect(alb.sources['server.keepAliveTimeout']).toContain('idle timeout, default 60 s');
  });

  it('derives the drain delay from interval × unhealthy threshold plus margin', () => {
    const haproxy = resolveProfile('haproxy', undefined, {});
    expect(haproxy.shutdown.drainDelayMs).toBe(2000 * 3 + 5000);
    expect(haproxy.shutdown.budget).toEqual({
      noticeMs: 11_000,
      noticeSource: expect.stringContaining('inter 2 s × fall 3'),
    });
  });

  it('gives the drain what the grace leaves after the delay and the hooks', () => {
    const alb = resolveProfile('aws-alb', undefined, {});
    expect(alb.shutdown.drainTimeoutMs).toBe(300_000 - 65_000 - 5000);
    expect(alb.shutdown.budget.graceMs).toBe(300_000);
  });

  it('reads Kubernetes grace from TERMINATION_GRACE_PERIOD_SECONDS', () => {
    const k8s = resolveProfile('kubernetes', undefined, { TERMINATION_GRACE_PERIOD_SECONDS: '60' });
    expect(k8s.shutdown.budget.graceMs).toBe(60_000);
    expect(k8s.shutdown.drainTimeoutMs).toBe(60_000 - 5000 - 5000);
    expect(k8s.sources['shutdown.budget.graceMs']).toBe('TERMINATION_GRACE_PERIOD_SECONDS=60');
    expect(
      failure(() => resolveProfile('kubernetes', undefined, { TERMINATION_GRACE_PERIOD_SECONDS: '1m' })).code,
    ).toBe('LBKIT_PROFILES_OPTION_INVALID');
  });

  it('maps Cloudflare to its preset and CF-Connecting-IP, the NLB to PROXY protocol', () => {
    expect(resolveProfile('cloudflare', undefined, {}).clientIp).toEqual({
      trust: ['cloudflare'],
      source: 'cf-connecting-ip',
    });
    expect(resolveProfile('aws-nlb', undefined, {}).clientIp.source).toBe('proxy-protocol');
  });

  it('returns a deeply frozen object', () => {
    const settings = resolveProfile('aws-alb', undefined, {});
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.server)).toBe(true);
    expect(Object.isFrozen(settings.shutdown.budget)).toBe(true);
    expect(Object.isFrozen(settings.clientIp.trust)).toBe(true);
  });
});

describe('resolveProfile() overrides', () => {
  it('re-derives from an overridden balancer number', () => {
    const alb = resolveProfile('aws-alb', { idleTimeoutMs: 120_000, healthCheckIntervalMs: 10_000 }, {});
    expect(alb.server.keepAliveTimeout).toBe(125_000);
    expect(alb.server.headersTimeout).toBe(126_000);
    expect(alb.shutdown.drainDelayMs).toBe(10_000 * 2 + 5000);
    expect(alb.shutdown.drainTimeoutMs).toBe(300_000 - 25_000 - 5000);
  });

  it('lets a derived setting stand as given, with override as its source', () => {
    const alb = resolveProfile(
      'aws-alb',
      { drainDelayMs: 15_000, trust: '10.0.0.0/8, 10.1.0.0/16', readinessPath: '/ready' },
      {},
    );
    expect(alb.shutdown.drainDelayMs).toBe(15_000);
    expect(alb.shutdown.budget.noticeMs).toBe(65_000);
    expect(alb.sources['shutdown.drainDelayMs']).toBe('override');
    expect(alb.clientIp.trust).toEqual(['10.0.0.0/8', '10.1.0.0/16']);
    expect(alb.health.paths.readiness).toBe('/ready');
  });

  it('refuses an unknown override with the closest name, and wrong types', () => {
    expect(failure(() => resolveProfile('nginx', { drainDelay: 1 } as never))).toEqual({
      code: 'LBKIT_PROFILES_OPTION_UNKNOWN',
      message: expect.stringContaining('did you mean "drainDelayMs"?'),
    });
    expect(failure(() => resolveProfile('nginx', { keepAliveTimeout: -1 })).code).toBe(
      'LBKIT_PROFILES_OPTION_INVALID',
    );
    expect(
      failure(() => resolveProfile('nginx', { headersTimeout: 400_000, requestTimeout: 300_000 })).code,
    ).toBe('LBKIT_PROFILES_OPTION_INVALID');
  });

  it('needs both health-check numbers for a balancer with no default check', () => {
    expect(failure(() => resolveProfile('envoy', { healthCheckIntervalMs: 1000 }, {})).code).toBe(
      'LBKIT_PROFILES_OPTION_INVALID',
    );
    const envoy = resolveProfile('envoy', { healthCheckIntervalMs: 1000, unhealthyThreshold: 2 }, {});
    expect(envoy.shutdown.drainDelayMs).toBe(7000);
  });
});

describe('resolveProfile() combinations and names', () => {
  it('takes the balancer server settings, the longest notice and the shortest grace', () => {
    const both = resolveProfile('kubernetes,aws-alb', undefined, {});
    expect(both.profiles).toEqual(['kubernetes', 'aws-alb']);
    expect(both.server.keepAliveTimeout).toBe(65_000);
    expect(both.shutdown.drainDelayMs).toBe(65_000);
    expect(both.shutdown.budget.graceMs).toBe(30_000);
    expect(resolveProfile(['aws-alb', 'kubernetes'], undefined, {})).toEqual(
      expect.objectContaining({ server: both.server, shutdown: both.shutdown }),
    );
  });

  it('widens a loopback trust to private inside Kubernetes', () => {
    expect(resolveProfile('kubernetes,haproxy', undefined, {}).clientIp.trust).toEqual(['private']);
    expect(resolveProfile('pm2,haproxy', undefined, {}).clientIp.trust).toEqual(['loopback']);
  });

  it('refuses two balancers and two platforms', () => {
    expect(failure(() => resolveProfile('nginx,haproxy'))).toEqual({
      code: 'LBKIT_PROFILES_PROFILE_CONFLICT',
      message: expect.stringContaining('nginx and haproxy are both balancers'),
    });
    expect(failure(() => resolveProfile('kubernetes, pm2')).code).toBe('LBKIT_PROFILES_PROFILE_CONFLICT');
  });

  it('refuses an unknown name with the closest known one', () => {
    expect(failure(() => resolveProfile('kubernetes,aws-elb'))).toEqual({
      code: 'LBKIT_PROFILES_PROFILE_UNKNOWN',
      message: expect.stringContaining('unknown profile "aws-elb" — did you mean "aws-alb"?'),
    });
    expect(failure(() => resolveProfile('kubernets')).message).toContain('did you mean "kubernetes"?');
  });

  it('accepts case, spaces and repeats, and refuses an empty list', () => {
    expect(resolveProfile(' NGINX , nginx ', undefined, {}).profiles).toEqual(['nginx']);
    expect(failure(() => resolveProfile(' , ')).code).toBe('LBKIT_PROFILES_OPTION_INVALID');
  });
});
