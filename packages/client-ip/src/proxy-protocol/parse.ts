// Parses a PROXY protocol v1 (text, at most 107 bytes) or v2 (binary, length-prefixed) header from the first bytes of a connection.
import { formatIpv4, formatIpv6 } from '../format.js';
import { INVALID, ParsedAddress, parseIp, V4 } from '../ip.js';
import { isPort } from '../node-address.js';
import type { ProxyProtocolEndpoint, ProxyProtocolInfo } from '../types.js';
import { decodeTlvs, TlvError } from './tlv.js';

/** The outcome of looking at the bytes received so far. */
export type ProxyProtocolParse =
  | { readonly status: 'incomplete' }
  | { readonly status: 'invalid'; readonly detail: string }
  | { readonly status: 'ok'; readonly info: ProxyProtocolInfo; readonly length: number };

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V1_MAX = 107;
const INCOMPLETE = { status: 'incomplete' } as const;
const NO_TLVS = Object.freeze({ raw: Object.freeze([]) });

function invalid(detail: string): ProxyProtocolParse {
  return { status: 'invalid', detail };
}

function isPrefixOf(bytes: Buffer, signature: Buffer): boolean {
  const n = Math.min(bytes.length, signature.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== signature[i]) return false;
  return true;
}

function v1Address(text: string, family: 'tcp4' | 'tcp6', scratch: ParsedAddress): string | undefined {
  if (family === 'tcp4') {
    if (parseIp(text, 0, text.length, scratch, false) !== V4 || !scratch.canonicalSlice) return undefined;
    return text;
  }
  if (text.includes('.') && !text.includes(':')) return undefined;
  const kind = parseIp(text, 0, text.length, scratch, false);
  if (kind === INVALID) return undefined;
  const w = scratch.words;
  return kind === V4 ? formatIpv4(scratch.v4) : formatIpv6(w[0]!, w[1]!, w[2]!, w[3]!);
}

function v1Port(text: string): number | undefined {
  // The spec writes ports without leading zeros; a padded port is a sign of a hand-made header.
  if (!isPort(text, 0, text.length) || (text.length > 1 && text.charCodeAt(0) === 48)) return undefined;
  return Number(text);
}

function parseV1(bytes: Buffer): ProxyProtocolParse {
  const limit = Math.min(bytes.length, V1_MAX);
  let lf = -1;
  for (let i = V1_PREFIX.length; i < limit; i++) {
    const c = bytes[i]!;
    if (c === 0x0a) {
      lf = i;
      break;
    }
    if ((c < 0x20 || c > 0x7e) && c !== 0x0d) return invalid('v1 header holds a non-printable byte');
  }
  if (lf < 0) return bytes.length >= V1_MAX ? invalid('v1 header longer than 107 bytes') : INCOMPLETE;
  if (bytes[lf - 1] !== 0x0d) return invalid('v1 header does not end with CRLF');
  const line = bytes.toString('latin1', 0, lf - 1);
  if (line.indexOf('\r') >= 0) return invalid('v1 header holds a stray CR');
  const parts = line.split(' ');
  const protocol = parts[1];
  if (protocol === 'UNKNOWN') {
    return {
      status: 'ok',
      length: lf + 1,
      info: {
        version: 1,
        command: 'proxy',
        family: 'unknown',
        source: undefined,
        destination: undefined,
        tlvs: NO_TLVS,
      },
    };
  }
  if ((protocol !== 'TCP4' && protocol !== 'TCP6') || parts.length !== 6) {
    return invalid('v1 header is not "PROXY TCP4|TCP6 src dst sport dport" or "PROXY UNKNOWN"');
  }
  const family = protocol === 'TCP4' ? 'tcp4' : 'tcp6';
  const scratch = new ParsedAddress();
  const src = v1Address(parts[2]!, family, scratch);
  const dst = v1Address(parts[3]!, family, scratch);
  const sport = v1Port(parts[4]!);
  const dport = v1Port(parts[5]!);
  if (src === undefined || dst === undefined)
    return invalid(`v1 header has an address that is not ${protocol}`);
  if (sport === undefined || dport === undefined) return invalid('v1 header has a port outside 0-65535');
  return {
    status: 'ok',
    length: lf + 1,
    info: {
      version: 1,
      command: 'proxy',
      family,
      source: { address: src, port: sport },
      destination: { address: dst, port: dport },
      tlvs: NO_TLVS,
    },
  };
}

function v2Address(bytes: Buffer, at: number, size: 4 | 16): string {
  if (size === 4) return formatIpv4(bytes.readUInt32BE(at));
  const w0 = bytes.readUInt32BE(at);
  const w1 = bytes.readUInt32BE(at + 4);
  const w2 = bytes.readUInt32BE(at + 8);
  const w3 = bytes.readUInt32BE(at + 12);
  return w0 === 0 && w1 === 0 && w2 === 0xffff ? formatIpv4(w3) : formatIpv6(w0, w1, w2, w3);
}

function parseV2(bytes: Buffer): ProxyProtocolParse {
  if (bytes.length < 16) return INCOMPLETE;
  const versionCommand = bytes[12]!;
  if (versionCommand >> 4 !== 2) return invalid(`v2 header has version ${versionCommand >> 4}`);
  const command = versionCommand & 0x0f;
  if (command > 1) return invalid(`v2 header has unknown command ${command}`);
  const familyByte = bytes[13]!;
  const length = bytes.readUInt16BE(14);
  const total = 16 + length;
  if (bytes.length < total) return INCOMPLETE;
  if (command === 0) {
    // LOCAL: the balancer's own connection (health checks); its protocol block is to be ignored.
    return {
      status: 'ok',
      length: total,
      info: {
        version: 2,
        command: 'local',
        family: 'unknown',
        source: undefined,
        destination: undefined,
        tlvs: NO_TLVS,
      },
    };
  }
  let family: ProxyProtocolInfo['family'];
  let addressBytes: number;
  let source: ProxyProtocolEndpoint | undefined;
  let destination: ProxyProtocolEndpoint | undefined;
  switch (familyByte) {
    case 0x00:
      family = 'unknown';
      addressBytes = 0;
      break;
    case 0x11:
      family = 'tcp4';
      addressBytes = 12;
      break;
    case 0x21:
      family = 'tcp6';
      addressBytes = 36;
      break;
    case 0x31:
      family = 'unix';
      addressBytes = 216;
      break;
    case 0x12:
    case 0x22:
    case 0x32:
      return invalid('v2 header announces a datagram connection on a stream socket');
    default:
      return invalid(`v2 header has unknown family 0x${familyByte.toString(16)}`);
  }
  if (length < addressBytes) return invalid(`v2 header length ${length} is too short for its addresses`);
  if (family === 'tcp4' || family === 'tcp6') {
    const size = family === 'tcp4' ? 4 : 16;
    source = { address: v2Address(bytes, 16, size), port: bytes.readUInt16BE(16 + 2 * size) };
    destination = { address: v2Address(bytes, 16 + size, size), port: bytes.readUInt16BE(18 + 2 * size) };
  }
  try {
    const tlvs = decodeTlvs(bytes, 16 + addressBytes, total);
    return {
      status: 'ok',
      length: total,
      info: { version: 2, command: 'proxy', family, source, destination, tlvs },
    };
  } catch (error) {
    if (error instanceof TlvError) return invalid(`v2 header: ${error.message}`);
    throw error;
  }
}

/**
 * Looks at the first bytes of a connection. Strict: anything that is not the start of a v1 or v2
 * header is invalid at once (no sniffing for plain HTTP); v1 is bounded to 107 bytes; v2 reads exactly
 * its length field. `length` is how many bytes the header took; the rest belongs to the application.
 */
export function parseProxyProtocol(bytes: Buffer, versions: readonly (1 | 2)[] = [1, 2]): ProxyProtocolParse {
  if (bytes.length === 0) return INCOMPLETE;
  const maybeV1 = versions.includes(1) && isPrefixOf(bytes, V1_PREFIX);
  const maybeV2 = versions.includes(2) && isPrefixOf(bytes, V2_SIGNATURE);
  if (!maybeV1 && !maybeV2) return invalid('connection does not start with a PROXY protocol header');
  if (maybeV1) return bytes.length < V1_PREFIX.length ? INCOMPLETE : parseV1(bytes);
  return bytes.length < V2_SIGNATURE.length ? INCOMPLETE : parseV2(bytes);
}
