// Parses one trusted address or CIDR into an inclusive interval of addresses (startup only).
import { LbkitError } from '@lbkit/core';
import { formatIpv4, formatIpv6 } from './format.js';
import { ParsedAddress, parseIp, V4 } from './ip.js';

/** An inclusive range of IPv4 addresses, as unsigned 32-bit numbers. */
export interface Ipv4Interval {
  readonly start: number;
  readonly end: number;
}

/** An inclusive range of IPv6 addresses, each bound as four 32-bit words. */
export interface Ipv6Interval {
  readonly start: readonly [number, number, number, number];
  readonly end: readonly [number, number, number, number];
}

/** One parsed entry: exactly one of the two is set. */
export interface ParsedRange {
  readonly v4?: Ipv4Interval;
  readonly v6?: Ipv6Interval;
  /** Prefix length as written for its family (0 means every address of the family). */
  readonly prefix: number;
}

function wordMask(prefix: number, index: number): number {
  const bits = Math.min(32, Math.max(0, prefix - 32 * index));
  return bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

function invalid(entry: string, why: string, hint?: string): LbkitError {
  return new LbkitError('LBKIT_CLIENT_IP_TRUST_INVALID', `trusted proxy ${JSON.stringify(entry)} ${why}`, {
    hint:
      hint ??
      'Use an IPv4/IPv6 address, a CIDR such as 10.0.0.0/8 or fd00::/8, a named range (loopback, linklocal, private, uniquelocal) or a preset (cloudflare, cloudfront, fastly).',
  });
}

/**
 * Parses `10.0.0.0/8`, `2001:db8::/32`, `::ffff:10.0.0.0/104` (becomes the IPv4 range) or a single
 * address. Refuses netmask notation and networks with host bits set, which are usually typos whose
 * intended meaning is ambiguous.
 */
export function parseRange(entry: string): ParsedRange {
  const slash = entry.indexOf('/');
  const addressText = slash < 0 ? entry : entry.slice(0, slash);
  const scratch = new ParsedAddress();
  const kind = parseIp(addressText, 0, addressText.length, scratch, false);
  if (kind === 0) throw invalid(entry, 'is not an IP address, CIDR, named range or preset');
  const mapped = kind === V4 && addressText.includes(':');
  const familyBits = kind === V4 && !mapped ? 32 : 128;
  let prefix = familyBits;
  if (slash >= 0) {
    const prefixText = entry.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) {
      throw invalid(
        entry,
        'has a prefix length that is not a number',
        'Write prefix lengths, not netmasks: 10.0.0.0/8.',
      );
    }
    prefix = Number(prefixText);
    if (prefix > familyBits) throw invalid(entry, `has a prefix length above ${familyBits}`);
  }
  if (mapped) {
    if (prefix < 96) throw invalid(entry, 'covers more than the IPv4-mapped range ::ffff:0:0/96');
    prefix -= 96;
  }
  if (kind === V4) {
    const size = 2 ** (32 - prefix);
    const start = Math.floor(scratch.v4 / size) * size;
    if (start !== scratch.v4) {
      throw invalid(
        entry,
        'has host bits set',
        `Write the network ${formatIpv4(start)}/${prefix}, or ${formatIpv4(scratch.v4)}/32 for the single address.`,
      );
    }
    return { v4: { start, end: start + size - 1 }, prefix };
  }
  const w = scratch.words;
  const start: [number, number, number, number] = [0, 0, 0, 0];
  const end: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    const mask = wordMask(prefix, i);
    start[i] = (w[i]! & mask) >>> 0;
    end[i] = (start[i]! | ~mask) >>> 0;
  }
  if (start.some((word, i) => word !== w[i])) {
    throw invalid(
      entry,
      'has host bits set',
      `Write the network ${formatIpv6(...start)}/${prefix}, or ${formatIpv6(w[0]!, w[1]!, w[2]!, w[3]!)}/128 for the single address.`,
    );
  }
  return { v6: { start, end }, prefix };
}
