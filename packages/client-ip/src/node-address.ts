// Reads one forwarded hop's address: brackets, a port and quotes stripped, then the strict IP parser.
import { INVALID, isUnspecified, type ParsedAddress, parseIp, settle, V4, V6 } from './ip.js';

function isDigitRun(s: string, start: number, end: number, max: number): boolean {
  const length = end - start;
  if (length < 1 || length > max) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** True when `s[start, end)` is a decimal port from 0 to 65535 (at most 5 digits). */
export function isPort(s: string, start: number, end: number): boolean {
  if (!isDigitRun(s, start, end, 5)) return false;
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + s.charCodeAt(i) - 48;
  return value <= 65535;
}

/**
 * Parses one list entry in `s[start, end)` (already trimmed): `1.2.3.4`, `1.2.3.4:5678`,
 * `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:443`, optionally inside double quotes. IPv4 in
 * brackets, an empty or malformed port, and the unspecified addresses 0.0.0.0 and :: are refused.
 * Returns the kind; the address is in `out`.
 */
export function parseEntry(
  s: string,
  start: number,
  end: number,
  out: ParsedAddress,
  allowZone: boolean,
): number {
  if (end - start >= 2 && s.charCodeAt(start) === 34 && s.charCodeAt(end - 1) === 34) {
    start++;
    end--;
  }
  if (start >= end) return settle(out, INVALID);
  let kind: number;
  if (s.charCodeAt(start) === 91) {
    let close = -1;
    for (let i = start + 1; i < end; i++) {
      if (s.charCodeAt(i) === 93) {
        close = i;
        break;
      }
    }
    if (close < 0) return settle(out, INVALID);
    if (close + 1 < end && (s.charCodeAt(close + 1) !== 58 || !isPort(s, close + 2, end))) {
      return settle(out, INVALID);
    }
    kind = parseIp(s, start + 1, close, out, allowZone);
    // A bracketed IPv4 is not a form any proxy writes; only IPv6 (mapped included) may be bracketed.
    if (kind === V4 && out.canonicalSlice) return settle(out, INVALID);
  } else {
    let colon = -1;
    let colons = 0;
    for (let i = start; i < end; i++) {
      if (s.charCodeAt(i) === 58) {
        colons++;
        colon = i;
      }
    }
    if (colons === 1) {
      if (!isPort(s, colon + 1, end)) return settle(out, INVALID);
      kind = parseIp(s, start, colon, out, false);
      if (kind !== V4 || !out.canonicalSlice) return settle(out, INVALID);
    } else {
      kind = parseIp(s, start, end, out, allowZone);
    }
  }
  if (kind === INVALID || isUnspecified(out)) return settle(out, INVALID);
  return kind === V4 ? V4 : V6;
}
