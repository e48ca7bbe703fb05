import { createClientIpResolver } from '@lbkit/client-ip';
import { describe, expect, it } from 'vitest';
import { formatIpv6 } from '../src/format.js';
import { ParsedAddress, parseIp, parseIpv4, V4, V6 } from '../src/ip.js';
import { fakeRequest } from './helpers.js';

function canonical(text: string, allowZone = false): string | undefined {
  const out = new ParsedAddress();
  const kind = parseIp(text, 0, text.length, out, allowZone);
  if (kind === 0) return undefined;
  if (kind === V4) return [24, 16, 8, 0].map((s) => (out.v4 >>> s) & 255).join('.');
  const w = out.words;
  const zone = out.zoneStart >= 0 ? `%${text.slice(out.zoneStart, out.zoneEnd)}` : '';
  return formatIpv6(w[0]!, w[1]!, w[2]!, w[3]!) + zone;
}

describe('strict IPv4', () => {
  it.each([
    '2130706433',
    '0x7f.0.0.1',
    '0177.0.0.1',
    '127.1',
    '127.0.1',
    '1.2.3.4.5',
    '256.0.0.1',
    '1.2.3.',
    '.1.2.3',
    '1..2.3',
    '01.2.3.4',
    '1.2.3.04',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '１.2.3.4',
    '1.2.3.1000',
  ])('refuses %j, which other parsers read as a different address or none', (text) => {
    expect(parseIpv4(text, 0, text.length)).toBe(-1);
    expect(canonical(text)).toBeUndefined();
  });

  it.each([
    ['0.0.0.0', 0],
    ['127.0.0.1', 0x7f000001],
    ['255.255.255.255', 0xffffffff],
    ['10.0.0.0', 0x0a000000],
  ])('reads %s as its 32-bit value', (text, value) => {
    expect(parseIpv4(text, 0, text.length)).toBe(value);
  });
});

describe('IPv6', () => {
  it.each([
    ['::1', '::1'],
    ['::', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    // RFC 5952 §4.2.2: one zero group is not shortened; §4.2.3: the longest run, the first on a tie.
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1::', '1::'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['64:ff9b::188.0.2.128', '64:ff9b::bc00:280'],
    ['::1.2.3.4', '::102:304'],
    ['fe80::1', 'fe80::1'],
  ])('writes %s as %s (RFC 5952)', (text, expected) => {
    expect(canonical(text)).toBe(expected);
  });

  it.each([
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::ffff:7f00:1', '127.0.0.1'],
    ['0:0:0:0:0:FFFF:bc15:0006', '188.21.0.6'],
    ['::FFFF:10.0.0.1', '10.0.0.1'],
  ])('reads IPv4-mapped %s as the IPv4 address %s, from the bits whatever the spelling', (text, expected) => {
    const out = new ParsedAddress();
    expect(parseIp(text, 0, text.length, out, false)).toBe(V4);
    expect(canonical(text)).toBe(expected);
  });

  it.each([
    ':::',
    '1:::2',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '::8:8:8:8:8:8:8:8:8',
    '1:2:3:4:5:6:7',
    ':1::',
    '1::2:',
    '12345::',
    'g::1',
    '::1.2.3',
    '::1.2.3.4:5',
    '1:2:3:4:5:6:7:1.2.3.4',
    '::0177.0.0.1',
    '[::1]',
    'fe80::1%',
    '::ffff:1.2.3.4%eth0',
  ])('refuses %j', (text) => {
    expect(canonical(text, true)).toBeUndefined();
  });

  it('accepts a zone id only when enabled, and keeps it', () => {
    expect(canonical('fe80::1%eth0', false)).toBeUndefined();
    expect(canonical('fe80::1%eth0', true)).toBe('fe80::1%eth0');
    expect(canonical('fe80::1%eth 0', true)).toBeUndefined();
    const out = new ParsedAddress();
    expect(parseIp('fe80::1%eth0', 0, 12, out, true)).toBe(V6);
  });
});

describe('rateLimitKey', () => {
  it('groups IPv6 clients by /64 and keeps IPv4 addresses whole', () => {
    const resolver = createClientIpResolver({ trust: [] });
    expect(resolver.resolve(fakeRequest('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).rateLimitKey).toBe(
      '2001:db8:1:2::/64',
    );
    expect(resolver.resolve(fakeRequest('2001:db8:1:2::1')).rateLimitKey).toBe('2001:db8:1:2::/64');
    expect(resolver.resolve(fakeRequest('::ffff:203.0.113.9')).rateLimitKey).toBe('203.0.113.9');
    expect(resolver.resolve(fakeRequest('203.0.113.9')).rateLimitKey).toBe('203.0.113.9');
  });
});
