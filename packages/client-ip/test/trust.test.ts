import { createClientIpResolver, PRESET_NAMES, rangePreset } from '@lbkit/client-ip';
import { isLbkitError, LbkitError } from '@lbkit/core';
import { describe, expect, it } from 'vitest';
import { parseRange } from '../src/cidr.js';
import { compileTrust, contains4 } from '../src/trust.js';
import { fakeRequest } from './helpers.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof LbkitError ? error.code : `not an LbkitError: ${String(error)}`;
  }
  return undefined;
}

describe('trust compilation', () => {
  it.each([
    true,
    '*',
    'all',
    'true',
    '0.0.0.0/0',
    '::/0',
    '::ffff:0.0.0.0/96',
    ['10.0.0.0/8', '::/0'],
    'loopback, 0.0.0.0/0',
    ['0.0.0.0/1', '128.0.0.0/1'],
    ['::/1', '8000::/1'],
    ['::ffff:0.0.0.0/97', '128.0.0.0/1'],
    ['::/2', '4000::/2', '8000::/1', 'loopback'],
  ])('refuses trusting everyone (%j) with LBKIT_CLIENT_IP_TRUST_ALL_REFUSED and a hint', (trust) => {
    expect(codeOf(() => compileTrust(trust as never))).toBe('LBKIT_CLIENT_IP_TRUST_ALL_REFUSED');
    try {
      compileTrust(trust as never);
    } catch (error) {
      expect((error as LbkitError).hint).toMatch(/trust: \[/);
    }
  });

  it('refuses 256 /8s that together cover every IPv4 address, naming the first few', () => {
    try {
      compileTrust(Array.from({ length: 256 }, (_, i) => `${i}.0.0.0/8`));
      expect.unreachable();
    } catch (error) {
      expect(isLbkitError(error, 'LBKIT_CLIENT_IP_TRUST_ALL_REFUSED')).toBe(true);
      expect((error as LbkitError).message).toContain('0.0.0.0/8, 1.0.0.0/8, 2.0.0.0/8, 3.0.0.0/8, …');
    }
  });

  it('accepts ranges that leave part of an address family untrusted', () => {
    expect(compileTrust(['0.0.0.0/1', '128.0.0.0/2']).v4).toEqual(Uint32Array.from([0, 0xbfffffff]));
    expect(compileTrust(['::/1', '8000::/2']).v6.length).toBe(8);
    expect(compileTrust(Array.from({ length: 255 }, (_, i) => `${i}.0.0.0/8`)).v4.length).toBe(2);
  });

  it('suggests the network when a CIDR has host bits set', () => {
    try {
      compileTrust('10.1.2.3/8');
      expect.unreachable();
    } catch (error) {
      expect(isLbkitError(error, 'LBKIT_CLIENT_IP_TRUST_INVALID')).toBe(true);
      expect((error as LbkitError).hint).toContain('10.0.0.0/8');
      expect((error as LbkitError).hint).toContain('10.1.2.3/32');
    }
  });

  it('accepts a comma-separated string the way LBKIT_TRUST is written', () => {
    const trust = compileTrust(' loopback , 10.0.0.0/8,,192.0.2.7 ');
    expect(contains4(trust.v4, 0x0a010203)).toBe(true);
    expect(contains4(trust.v4, 0xc0000207)).toBe(true);
    expect(contains4(trust.v4, 0xc0000208)).toBe(false);
  });

  it('merges overlapping and adjacent ranges into disjoint intervals', () => {
    const trust = compileTrust([
      '10.0.0.0/9',
      '10.128.0.0/9',
      '10.1.0.0/16',
      '192.168.0.0/24',
      '192.168.1.0/24',
    ]);
    expect(Array.from(trust.v4)).toEqual([0x0a000000, 0x0affffff, 0xc0a80000, 0xc0a801ff]);
  });

  it('named ranges: private and uniquelocal are the same, loopback covers 127/8 and ::1', () => {
    expect(compileTrust('private')).toEqual(compileTrust('uniquelocal'));
    const resolver = createClientIpResolver({ trust: 'loopback' });
    expect(resolver.ip(fakeRequest('127.9.9.9', { 'x-forwarded-for': '203.0.113.1' }))).toBe('203.0.113.1');
    expect(resolver.ip(fakeRequest('::1', { 'x-forwarded-for': '203.0.113.1' }))).toBe('203.0.113.1');
    expect(resolver.ip(fakeRequest('::2', { 'x-forwarded-for': '203.0.113.1' }))).toBe('::2');
  });

  it('hop counts need the peer range, and a sane count', () => {
    expect(codeOf(() => compileTrust(1 as never))).toBe('LBKIT_CLIENT_IP_HOPS_PEER_REQUIRED');
    expect(codeOf(() => compileTrust({ hops: 2 } as never))).toBe('LBKIT_CLIENT_IP_HOPS_PEER_REQUIRED');
    expect(codeOf(() => compileTrust({ peers: [], hops: 2 }))).toBe('LBKIT_CLIENT_IP_HOPS_PEER_REQUIRED');
    expect(codeOf(() => compileTrust({ peers: 'loopback', hops: 1.5 }))).toBe('LBKIT_CLIENT_IP_HOPS_INVALID');
    expect(codeOf(() => compileTrust({ peers: 'loopback', hops: 33 }))).toBe('LBKIT_CLIENT_IP_HOPS_INVALID');
    expect(compileTrust({ peers: 'loopback', hops: 3 }).hops).toBe(3);
  });

  it('IPv4-mapped CIDRs become IPv4 ranges, and must stay inside ::ffff:0:0/96', () => {
    expect(parseRange('::ffff:10.0.0.0/104')).toEqual({
      v4: { start: 0x0a000000, end: 0x0affffff },
      prefix: 8,
    });
    expect(codeOf(() => parseRange('::ffff:0:0/95'))).toBe('LBKIT_CLIENT_IP_TRUST_INVALID');
  });

  it('an entry that is not a string is refused, and a function where none is allowed (PROXY peers)', () => {
    expect(codeOf(() => compileTrust([42] as never))).toBe('LBKIT_CLIENT_IP_TRUST_INVALID');
    expect(codeOf(() => compileTrust((() => true) as never))).toBe('LBKIT_CLIENT_IP_TRUST_INVALID');
  });
});

describe('provider presets', () => {
  it.each(PRESET_NAMES)('%s has a dated snapshot with its source and ranges that all parse', (name) => {
    const preset = rangePreset(name);
    expect(preset.provider).toBe(name);
    expect(preset.snapshotDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(preset.sources.every((url) => url.startsWith('https://'))).toBe(true);
    expect(preset.ipv4.length).toBeGreaterThan(0);
    expect(preset.ipv6.length).toBeGreaterThan(0);
    for (const cidr of [...preset.ipv4, ...preset.ipv6]) expect(() => parseRange(cidr)).not.toThrow();
  });

  it('trusts a Cloudflare edge and not its neighbours', () => {
    const resolver = createClientIpResolver({ trust: 'cloudflare', source: 'cf-connecting-ip' });
    const header = { 'cf-connecting-ip': '198.51.100.9' };
    expect(resolver.ip(fakeRequest('104.16.0.1', header))).toBe('198.51.100.9');
    expect(resolver.ip(fakeRequest('104.27.255.255', header))).toBe('198.51.100.9');
    expect(resolver.ip(fakeRequest('104.28.0.0', header))).toBe('104.28.0.0');
    expect(resolver.ip(fakeRequest('2606:4700:10::1', header))).toBe('198.51.100.9');
    expect(resolver.ip(fakeRequest('2606:4701::1', header))).toBe('2606:4701::1');
  });

  it('fastly and cloudfront presets compile', () => {
    const resolver = createClientIpResolver({ trust: ['fastly', 'cloudfront'] });
    expect(resolver.ip(fakeRequest('151.101.1.1', { 'x-forwarded-for': '198.51.100.9' }))).toBe(
      '198.51.100.9',
    );
    expect(resolver.ip(fakeRequest('13.32.0.1', { 'x-forwarded-for': '198.51.100.9' }))).toBe('198.51.100.9');
  });
});

describe('options', () => {
  it('unknown keys are refused with the name of the right one', () => {
    try {
      createClientIpResolver({ trustProxy: 'loopback' } as never);
      expect.unreachable();
    } catch (error) {
      expect(isLbkitError(error, 'LBKIT_CLIENT_IP_OPTION_UNKNOWN')).toBe(true);
      expect((error as LbkitError).message).toContain('did you mean "trust"?');
    }
  });

  it('missing options or trust are refused with LBKIT_CLIENT_IP_TRUST_REQUIRED', () => {
    expect(codeOf(() => createClientIpResolver(undefined as never))).toBe('LBKIT_CLIENT_IP_TRUST_REQUIRED');
    expect(codeOf(() => createClientIpResolver({} as never))).toBe('LBKIT_CLIENT_IP_TRUST_REQUIRED');
  });

  it('source names are case-insensitive header tokens; others are refused', () => {
    expect(createClientIpResolver({ trust: [], source: 'CF-Connecting-IP' }).source).toBe('cf-connecting-ip');
    expect(codeOf(() => createClientIpResolver({ trust: [], source: 'x real ip' }))).toBe(
      'LBKIT_CLIENT_IP_SOURCE_INVALID',
    );
    expect(codeOf(() => createClientIpResolver({ trust: [], source: 'x-forwarded-proto' }))).toBe(
      'LBKIT_CLIENT_IP_SOURCE_INVALID',
    );
    expect(codeOf(() => createClientIpResolver({ trust: [], source: 42 as never }))).toBe(
      'LBKIT_CLIENT_IP_SOURCE_INVALID',
    );
    expect(codeOf(() => createClientIpResolver({ trust: [], allowZoneId: 'yes' as never }))).toBe(
      'LBKIT_CLIENT_IP_OPTION_INVALID',
    );
  });
});
