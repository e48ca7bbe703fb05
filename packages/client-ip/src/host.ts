// Syntax checks for what forwarded headers say about the request: host, port and protocol.
import { ParsedAddress, parseIpv4, parseIpv6 } from './ip.js';
import { isPort } from './node-address.js';

function isNameChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46 || c === 95
  );
}

/**
 * True for `name`, `name:port`, an IPv4 address with optional port, or `[IPv6]` with optional port.
 * Names are letters, digits, `-`, `.` and `_` (what DNS and internal service names use); anything that
 * could carry a path, credentials or markup is refused.
 */
export function isValidHost(host: string): boolean {
  const n = host.length;
  if (n === 0 || n > 261) return false;
  let nameEnd = n;
  if (host.charCodeAt(0) === 91) {
    const close = host.indexOf(']');
    if (close < 0 || !parseIpv6(host, 1, close, new ParsedAddress(), false)) return false;
    if (close + 1 === n) return true;
    return host.charCodeAt(close + 1) === 58 && isPort(host, close + 2, n);
  }
  const colon = host.indexOf(':');
  if (colon >= 0) {
    if (!isPort(host, colon + 1, n)) return false;
    nameEnd = colon;
  }
  if (nameEnd === 0 || nameEnd > 253) return false;
  for (let i = 0; i < nameEnd; i++) if (!isNameChar(host.charCodeAt(i))) return false;
  const first = host.charCodeAt(0);
  // Digits and dots only must be a dotted quad, so 0x7f-style and decimal-integer hosts never pass.
  let numeric = true;
  for (let i = 0; i < nameEnd && numeric; i++) {
    const c = host.charCodeAt(i);
    numeric = (c >= 48 && c <= 57) || c === 46;
  }
  if (numeric && parseIpv4(host, 0, nameEnd) < 0) return false;
  return first !== 46 && first !== 45;
}

/** The port of a valid host, or undefined when it has none. */
export function portOfHost(host: string): number | undefined {
  const close = host.charCodeAt(0) === 91 ? host.indexOf(']') : -1;
  const colon = host.indexOf(':', close + 1);
  return colon < 0 ? undefined : Number(host.slice(colon + 1));
}

/** `http` / `https` from a forwarded protocol value (case-insensitive), else undefined. */
export function protoOf(value: string): 'http' | 'https' | undefined {
  if (value.length === 4 && value.toLowerCase() === 'http') return 'http';
  if (value.length === 5 && value.toLowerCase() === 'https') return 'https';
  return undefined;
}

/** A destination port from 1 to 65535 written in decimal, else undefined. */
export function forwardedPortOf(value: string): number | undefined {
  if (!isPort(value, 0, value.length)) return undefined;
  const port = Number(value);
  return port >= 1 ? port : undefined;
}
