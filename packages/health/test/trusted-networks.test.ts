// trustedNetworks, compiled by @lbkit/client-ip's address matcher: CIDRs, names, IPv4-mapped peers, refusals with health's code.
import { BlockList } from 'node:net';
import { isLbkitError } from '@lbkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTrustedNetworks } from '../src/trusted-networks.js';

function errorOf(entries: readonly unknown[]): { code: string; message: string } | undefined {
  try {
    compileTrustedNetworks(entries);
  } catch (error) {
    if (isLbkitError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  return undefined;
}

describe('trustedNetworks', () => {
  it('matches IPv4 CIDRs, including the IPv4-mapped form a dual-stack socket reports', () => {
    const trusted = compileTrustedNetworks(['10.0.0.0/8', '192.168.1.7']);
    expect(trusted('10.200.3.4')).toBe(true);
    expect(trusted('::ffff:10.1.1.1')).toBe(true);
    expect(trusted('11.0.0.1')).toBe(false);
    expect(trusted('192.168.1.7')).toBe(true);
    expect(trusted('192.168.1.8')).toBe(false);
  });

  it('matches IPv6 CIDRs, with or without a zone id on the peer', () => {
    const trusted = compileTrustedNetworks(['fd00::/8', '2001:db8::1', 'linklocal']);
    expect(trusted('fd12:3456::1')).toBe(true);
    expect(trusted('fe80::1%eth0')).toBe(true);
    expect(trusted('2001:db8::1')).toBe(true);
    expect(trusted('2001:db8::2')).toBe(false);
  });

  it('expands the names loopback and private', () => {
    const loopback = compileTrustedNetworks(['loopback']);
    expect(['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1', '10.0.0.1'].map(loopback)).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
    const internal = compileTrustedNetworks(['private']);
    expect(['10.1.2.3', '172.31.0.1', '172.32.0.1', '192.168.0.1', 'fd00::5'].map(internal)).toEqual([
      true,
      true,
      false,
      true,
      true,
    ]);
  });

  it('treats missing, malformed and oversized peer addresses as untrusted', () => {
    const trusted = compileTrustedNetworks(['0.0.0.0/2', '128.0.0.0/2', '::/2']);
    for (const peer of [
      undefined,
      '',
      'not-an-ip',
      '1.2.3',
      '01.2.3.4',
      '1::2::3',
      `${'1:'.repeat(5000)}1`,
    ]) {
      expect(trusted(peer)).toBe(false);
    }
    expect(trusted('130.0.113.9')).toBe(true);
  });

  it('refuses entries that are not networks with LBKIT_HEALTH_NETWORK_INVALID, naming the entry', () => {
    expect(errorOf(['10.0.0.0/33'])).toMatchObject({
      code: 'LBKIT_HEALTH_NETWORK_INVALID',
      message: expect.stringContaining('"10.0.0.0/33" has a prefix length above 32'),
    });
    expect(errorOf(['loopback', 'example.com'])?.message).toContain('"example.com" is not');
    expect(errorOf([42])?.message).toContain('42 is not a string');
  });

  it('refuses a network with host bits set instead of guessing what was meant', () => {
    expect(errorOf(['10.0.0.1/8'])).toMatchObject({
      code: 'LBKIT_HEALTH_NETWORK_INVALID',
      message: expect.stringContaining('"10.0.0.1/8" has host bits set'),
    });
  });

  it('refuses a network covering every address: the detailed report would be public', () => {
    for (const everyone of [['0.0.0.0/0'], ['::/0'], ['0.0.0.0/1', '128.0.0.0/1']]) {
      expect(errorOf(everyone)).toMatchObject({
        code: 'LBKIT_HEALTH_NETWORK_INVALID',
        message: expect.stringMatching(/covers? every address/),
      });
    }
  });

  it('agrees with node:net BlockList on random IPv4 networks and addresses', () => {
    const octets = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
    fc.assert(
      fc.property(octets, fc.integer({ min: 1, max: 32 }), octets, (network, prefix, address) => {
        // The network address itself: host bits are refused, so mask them off as a CIDR means.
        const value = network.reduce((acc, octet) => acc * 256 + octet, 0);
        const size = 2 ** (32 - prefix);
        const start = Math.floor(value / size) * size;
        const base = [24, 16, 8, 0].map((shift) => Math.floor(start / 2 ** shift) % 256).join('.');
        const reference = new BlockList();
        reference.addSubnet(base, prefix, 'ipv4');
        const peer = address.join('.');
        expect(compileTrustedNetworks([`${base}/${prefix}`])(peer)).toBe(reference.check(peer, 'ipv4'));
      }),
      { numRuns: 500 },
    );
  });
});
