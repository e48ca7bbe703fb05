// Strict IP address parsing over a slice of a string, without allocating: dotted-quad IPv4 and RFC 4291 IPv6.

/** The slice was not an address this parser accepts. */
export const INVALID = 0;
/** An IPv4 address (also what an IPv4-mapped IPv6 address becomes). */
export const V4 = 4;
/** An IPv6 address that is not IPv4-mapped. */
export const V6 = 6;

/** What one parse produced. A resolver owns one and reuses it for every entry it reads. */
export class ParsedAddress {
  kind: 0 | 4 | 6 = INVALID;
  /** IPv4 value as an unsigned 32-bit number, when `kind` is V4. */
  v4 = 0;
  /** IPv6 value as four big-endian 32-bit words, when `kind` is V6. */
  readonly words = new Uint32Array(4);
  /** Where the zone id (after `%`) sits in the parsed string; -1 without one. */
  zoneStart = -1;
  zoneEnd = -1;
  /** True when the slice was already the canonical text of a V4 address (plain dotted quad). */
  canonicalSlice = false;
  /** Bounds of the address text last given to {@link parseIp} (without brackets, port or quotes). */
  start = 0;
  end = 0;
  /** The 16-bit groups while parsing IPv6. */
  readonly groups = new Uint16Array(8);
}

/**
 * Parses a dotted-quad IPv4 address in `s[start, end)`. Only four decimal parts of 1-3 digits, each at
 * most 255 and without leading zeros: `2130706433`, `0x7f.0.0.1` and `0177.0.0.1` are refused because
 * other parsers read them as different addresses. Returns the unsigned value, or -1.
 */
export function parseIpv4(s: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let leadingZero = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 0) leadingZero = c === 48;
      else if (leadingZero || digits === 3) return -1;
      octet = octet * 10 + (c - 48);
      digits++;
    } else if (c === 46) {
      if (digits === 0 || octet > 255 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0 || octet > 255) return -1;
  return value * 256 + octet;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

// RFC 6874 lets a zone id be any unreserved character; interface names use no others.
function isZoneChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 45 ||
    c === 46 ||
    c === 95 ||
    c === 126
  );
}

/**
 * Parses an IPv6 address (RFC 4291 text forms, with an embedded dotted quad in the last 32 bits) in
 * `s[start, end)` into `out.words`. A `%zone` suffix is accepted only when `allowZone` is true.
 */
export function parseIpv6(
  s: string,
  start: number,
  end: number,
  out: ParsedAddress,
  allowZone: boolean,
): boolean {
  let stop = end;
  out.zoneStart = -1;
  out.zoneEnd = -1;
  for (let i = start; i < end; i++) {
    if (s.charCodeAt(i) !== 37) continue;
    if (!allowZone || i + 1 === end || end - i > 65) return false;
    for (let j = i + 1; j < end; j++) if (!isZoneChar(s.charCodeAt(j))) return false;
    out.zoneStart = i + 1;
    out.zoneEnd = end;
    stop = i;
    break;
  }
  if (stop - start < 2) return false;
  const groups = out.groups;
  let n = 0;
  let gap = -1;
  let i = start;
  if (s.charCodeAt(i) === 58) {
    if (s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < stop) {
    if (n === 8) return false;
    let value = 0;
    let j = i;
    while (j < stop) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      if (j - i === 4) return false;
      value = value * 16 + h;
      j++;
    }
    if (j === i) return false;
    if (j < stop && s.charCodeAt(j) === 46) {
      if (n > 6) return false;
      const v4 = parseIpv4(s, i, stop);
      if (v4 < 0) return false;
      groups[n++] = Math.floor(v4 / 65536);
      groups[n++] = v4 & 0xffff;
      i = stop;
      break;
    }
    groups[n++] = value;
    if (j === stop) {
      i = j;
      break;
    }
    if (s.charCodeAt(j) !== 58) return false;
    if (j + 1 < stop && s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === stop) return false;
    }
  }
  if (gap < 0) {
    if (n !== 8) return false;
  } else {
    if (n > 7) return false;
    const shift = 8 - n;
    for (let k = n - 1; k >= gap; k--) groups[k + shift] = groups[k]!;
    for (let k = gap; k < gap + shift; k++) groups[k] = 0;
  }
  const words = out.words;
  words[0] = groups[0]! * 65536 + groups[1]!;
  words[1] = groups[2]! * 65536 + groups[3]!;
  words[2] = groups[4]! * 65536 + groups[5]!;
  words[3] = groups[6]! * 65536 + groups[7]!;
  return true;
}

/** Records `kind` as the outcome of the parse and returns it. */
export function settle<K extends 0 | 4 | 6>(out: ParsedAddress, kind: K): K {
  out.kind = kind;
  return kind;
}

/**
 * Parses a bare IPv4 or IPv6 address in `s[start, end)` into `out` and returns its kind. IPv4-mapped
 * IPv6 (`::ffff:0:0/96`) becomes V4 from the bits, whatever the spelling; a mapped address with a zone
 * is refused.
 */
export function parseIp(
  s: string,
  start: number,
  end: number,
  out: ParsedAddress,
  allowZone: boolean,
): 0 | 4 | 6 {
  out.start = start;
  out.end = end;
  const v4 = parseIpv4(s, start, end);
  if (v4 >= 0) {
    out.v4 = v4;
    out.zoneStart = -1;
    out.canonicalSlice = true;
    return settle(out, V4);
  }
  out.canonicalSlice = false;
  if (!parseIpv6(s, start, end, out, allowZone)) return settle(out, INVALID);
  const w = out.words;
  if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) {
    if (out.zoneStart >= 0) return settle(out, INVALID);
    out.v4 = w[3]!;
    return settle(out, V4);
  }
  return settle(out, V6);
}

/** True for 0.0.0.0 and ::, which name no host and are never a client address. */
export function isUnspecified(out: ParsedAddress): boolean {
  if (out.kind === V4) return out.v4 === 0;
  const w = out.words;
  return w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0;
}
