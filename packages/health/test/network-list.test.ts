// The trusted-networks matcher: CIDRs, names, IPv4-mapped peers, and agreement with node:net's BlockList.
import { BlockList } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetworkList, parseAddress } from '../src/network-list.js';

describe('NetworkList', () => {
  it('matches IPv4 CIDRs, including the IPv4-mapped form a dual-stack socket reports', () => {
    const list = NetworkList.parse(['10.0.0.0/8', '192.168.1.7']);
    expect(list.has('10.200.3.4')).toBe(true);
    expect(list.has('::ffff:10.1.1.1')).toBe(true);
    expect(list.has('11.0.0.1')).toBe(false);
    expect(list.has('192.168.1.7')).toBe(true);
    expect(list.has('192.168.1.8')).toBe(false);
  });

  it('matches IPv6 CIDRs and ignores zone ids', () => {
    const list = NetworkList.parse(['fd00::/8', '2001:db8:0:0:0:0:0:1']);
    expect(list.has('fd12:3456::1')).toBe(true);
    expect(list.has('fe80::1%eth0')).toBe(false);
    expect(list.has('2001:db8::1')).toBe(true);
    expect(list.has('2001:db8::2')).toBe(false);
  });

  it('expands the names loopback, private and linklocal', () => {
    const list = NetworkList.parse(['loopback']);
    expect(['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1'].map((a) => list.has(a))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(list.has('10.0.0.1')).toBe(false);
    const internal = NetworkList.parse(['private', 'linklocal']);
    expect(
      ['10.1.2.3', '172.31.0.1', '172.32.0.1', '192.168.0.1', 'fd00::5', 'fe80::1', '169.254.1.1'].map((a) =>
        internal.has(a),
      ),
    ).toEqual([true, true, false, true, true, true, true]);
  });

  it('treats missing, malformed and oversized peer addresses as untrusted', () => {
    const list = NetworkList.parse(['0.0.0.0/0', '::/0']);
    expect(list.has(undefined)).toBe(false);
    expect(list.has('')).toBe(false);
    expect(list.has('not-an-ip')).toBe(false);
    expect(list.has('1.2.3')).toBe(false);
    expect(list.has('01.2.3.4')).toBe(false);
    expect(list.has('1::2::3')).toBe(false);
    expect(list.has(`${'1:'.repeat(5000)}1`)).toBe(false);
  });

  it('parses the textual forms of IPv6', () => {
    expect(parseAddress('::')).toEqual(new Uint8Array(16));
    expect(parseAddress('::1')?.[15]).toBe(1);
    expect(parseAddress('1::')?.[1]).toBe(1);
    expect(parseAddress('::ffff:1.2.3.4')).toEqual(parseAddress('1.2.3.4'));
    expect(parseAddress('1:2:3:4:5:6:7:8:9')).toBeUndefined();
    expect(parseAddress('1:2:3:4:5:6:7')).toBeUndefined();
    expect(parseAddress('12345::')).toBeUndefined();
  });

  it('agrees with node:net BlockList on random IPv4 networks and addresses', () => {
    const octets = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
    fc.assert(
      fc.property(octets, fc.integer({ min: 0, max: 32 }), octets, (network, prefix, address) => {
        const reference = new BlockList();
        reference.addSubnet(network, prefix, 'ipv4');
        expect(NetworkList.parse([`${network}/${prefix}`]).has(address)).toBe(
          reference.check(address, 'ipv4'),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with node:net BlockList on random IPv6 networks and addresses', () => {
    const groups = fc
      .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
      .map((g) => g.map((x) => x.toString(16)).join(':'));
    fc.assert(
      fc.property(groups, fc.integer({ min: 0, max: 128 }), groups, (network, prefix, address) => {
        const reference = new BlockList();
        reference.addSubnet(network, prefix, 'ipv6');
        expect(NetworkList.parse([`${network}/${prefix}`]).has(address)).toBe(
          reference.check(address, 'ipv6'),
        );
      }),
      { numRuns: 500 },
    );
  });
});
