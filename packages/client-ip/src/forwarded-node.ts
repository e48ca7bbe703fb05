// Reads the node of a Forwarded `for=` value (RFC 7239 §6): IPv4 or [IPv6], optional port, or a hidden identifier.
import { INVALID, isUnspecified, type ParsedAddress, parseIp, V4 } from './ip.js';
import { isPort } from './node-address.js';

/** The node is `unknown` or an obfuscated identifier (`_hidden`): a proxy deliberately hid the client. */
export const HIDDEN = -1;

function isObfuscated(s: string, start: number): boolean {
  if (s.length - start < 2 || s.charCodeAt(start) !== 95) return false;
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 57) ||
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 46 ||
      c === 95 ||
      c === 45;
    if (!ok) return false;
  }
  return true;
}

function isNodePort(s: string, start: number): boolean {
  return isPort(s, start, s.length) || isObfuscated(s, start);
}

/**
 * Parses a `for=` node (already unquoted and unescaped) into `out`. Returns V4 / V6, {@link HIDDEN},
 * or INVALID. Follows RFC 7239's grammar: IPv6 must be in brackets, IPv4 must not be; the port is
 * digits or an obfuscated `_port`.
 */
export function parseForwardedNode(value: string, out: ParsedAddress, allowZone: boolean): number {
  if (value.length === 0) return INVALID;
  const first = value.charCodeAt(0);
  if (first === 95 || first === 117 || first === 85) {
    // nodename "unknown" or an obfuscated `_name`, with an optional port (RFC 7239 §6).
    const colon = value.indexOf(':');
    const name = colon < 0 ? value : value.slice(0, colon);
    const hidden = name.toLowerCase() === 'unknown' || isObfuscated(name, 0);
    return hidden && (colon < 0 || isNodePort(value, colon + 1)) ? HIDDEN : INVALID;
  }
  let kind: number;
  if (value.charCodeAt(0) === 91) {
    const close = value.indexOf(']');
    if (close < 0) return INVALID;
    if (close + 1 < value.length && (value.charCodeAt(close + 1) !== 58 || !isNodePort(value, close + 2)))
      return INVALID;
    kind = parseIp(value, 1, close, out, allowZone);
    if (kind === V4 && out.canonicalSlice) return INVALID;
  } else {
    const colon = value.indexOf(':');
    if (colon >= 0 && !isNodePort(value, colon + 1)) return INVALID;
    kind = parseIp(value, 0, colon < 0 ? value.length : colon, out, false);
    if (kind !== V4 || !out.canonicalSlice) return INVALID;
  }
  if (kind === INVALID || isUnspecified(out)) return INVALID;
  return kind;
}
