// Canonical text of parsed addresses: dotted quad for IPv4, RFC 5952 for IPv6, and the /64 rate-limit key.
import { type ParsedAddress, V4 } from './ip.js';

/** Dotted-quad text of an unsigned 32-bit IPv4 value. */
export function formatIpv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

function group(w0: number, w1: number, w2: number, w3: number, index: number): number {
  const word = index < 2 ? w0 : index < 4 ? w1 : index < 6 ? w2 : w3;
  return index % 2 === 0 ? word >>> 16 : word & 0xffff;
}

/**
 * RFC 5952 text of an IPv6 address given as four 32-bit words: lowercase hex without leading zeros,
 * the longest run of two or more zero groups (the first one on a tie) written as `::`.
 */
export function formatIpv6(w0: number, w1: number, w2: number, w3: number): string {
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if (group(w0, w1, w2, w3, i) === 0) {
      if (runStart < 0) runStart = i;
      const length = i - runStart + 1;
      if (length > bestLength) {
        bestLength = length;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += '::';
      i += bestLength - 1;
      continue;
    }
    if (text.length > 0 && !text.endsWith(':')) text += ':';
    text += group(w0, w1, w2, w3, i).toString(16);
  }
  return text;
}

/** Canonical text of what `out` holds, with its zone when `source` (the parsed string) carried one. */
export function formatParsed(out: ParsedAddress, source: string): string {
  if (out.kind === V4) return formatIpv4(out.v4);
  const w = out.words;
  const text = formatIpv6(w[0]!, w[1]!, w[2]!, w[3]!);
  return out.zoneStart >= 0 ? `${text}%${source.slice(out.zoneStart, out.zoneEnd)}` : text;
}

/**
 * The key a rate limiter should count a client under: the IPv4 address itself, or the IPv6 /64 the
 * address belongs to (one end site usually holds a whole /64, so per-address limits are trivially
 * bypassed by rotating through it).
 */
export function rateLimitKeyOf(kind: number, v4: number, w0: number, w1: number): string {
  return kind === V4 ? formatIpv4(v4) : `${formatIpv6(w0, w1, 0, 0)}/64`;
}
