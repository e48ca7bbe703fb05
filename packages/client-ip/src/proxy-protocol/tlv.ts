// Decodes the TLVs of a PROXY v2 header: ALPN, authority, CRC32C, unique id, SSL, netns, AWS 0xEA, Azure 0xEE.
import type { ProxyProtocolSsl, ProxyProtocolTlv, ProxyProtocolTlvs } from '../types.js';
import { crc32c } from './crc32c.js';

const PP2_TYPE_ALPN = 0x01;
const PP2_TYPE_AUTHORITY = 0x02;
const PP2_TYPE_CRC32C = 0x03;
const PP2_TYPE_UNIQUE_ID = 0x05;
const PP2_TYPE_SSL = 0x20;
const PP2_TYPE_NETNS = 0x30;
const PP2_TYPE_AWS = 0xea;
const PP2_TYPE_AZURE = 0xee;
const PP2_SUBTYPE_AWS_VPCE_ID = 0x01;
const PP2_SUBTYPE_AZURE_LINKID = 0x01;
const SSL_SUBTYPES: Readonly<Record<number, keyof ProxyProtocolSsl>> = {
  33: 'version',
  34: 'commonName',
  35: 'cipher',
  36: 'signatureAlgorithm',
  37: 'keyAlgorithm',
};

/** Thrown (and caught by the parser) when the TLV block is malformed. */
export class TlvError extends Error {}

/** Calls `fn(type, start, end)` for each TLV in `bytes[from, to)`; throws TlvError on overrun. */
function eachTlv(
  bytes: Buffer,
  from: number,
  to: number,
  fn: (type: number, start: number, end: number) => void,
): void {
  let i = from;
  while (i < to) {
    if (to - i < 3) throw new TlvError(`truncated TLV at byte ${i}`);
    const type = bytes[i]!;
    const length = bytes.readUInt16BE(i + 1);
    const end = i + 3 + length;
    if (end > to) throw new TlvError(`TLV 0x${type.toString(16)} at byte ${i} runs past the header`);
    fn(type, i + 3, end);
    i = end;
  }
}

function decodeSsl(bytes: Buffer, start: number, end: number): ProxyProtocolSsl {
  if (end - start < 5) throw new TlvError('SSL TLV shorter than 5 bytes');
  const client = bytes[start]!;
  const ssl: Record<string, unknown> = {
    client: (client & 0x01) !== 0,
    clientCertConnection: (client & 0x02) !== 0,
    clientCertSession: (client & 0x04) !== 0,
    verified: bytes.readUInt32BE(start + 1) === 0,
  };
  eachTlv(bytes, start + 5, end, (type, s, e) => {
    const key = SSL_SUBTYPES[type];
    if (key) ssl[key] = bytes.toString(type === 0x22 ? 'utf8' : 'latin1', s, e);
  });
  return ssl as unknown as ProxyProtocolSsl;
}

/**
 * Decodes the TLVs in `header[from, total)`. A present CRC32C is checked over the whole header
 * (its own value taken as zero); a mismatch or any overrun throws TlvError.
 */
export function decodeTlvs(header: Buffer, from: number, total: number): ProxyProtocolTlvs {
  const raw: ProxyProtocolTlv[] = [];
  const tlvs: Record<string, unknown> = { raw };
  eachTlv(header, from, total, (type, start, end) => {
    // Copies, so a TLV kept by the application does not pin the whole socket chunk in memory.
    raw.push({ type, value: Buffer.from(header.subarray(start, end)) });
    switch (type) {
      case PP2_TYPE_ALPN:
        tlvs.alpn = header.toString('latin1', start, end);
        break;
      case PP2_TYPE_AUTHORITY:
        tlvs.authority = header.toString('utf8', start, end);
        break;
      case PP2_TYPE_CRC32C: {
        if (end - start !== 4) throw new TlvError('CRC32C TLV is not 4 bytes');
        const expected = header.readUInt32BE(start);
        const copy = Buffer.from(header.subarray(0, total));
        copy.fill(0, start, end);
        if (crc32c(copy) !== expected) throw new TlvError('CRC32C does not match the header');
        tlvs.crc32cVerified = true;
        break;
      }
      case PP2_TYPE_UNIQUE_ID:
        if (end - start > 128) throw new TlvError('UNIQUE_ID TLV longer than 128 bytes');
        tlvs.uniqueId = Buffer.from(header.subarray(start, end));
        break;
      case PP2_TYPE_SSL:
        tlvs.ssl = decodeSsl(header, start, end);
        break;
      case PP2_TYPE_NETNS:
        tlvs.netns = header.toString('latin1', start, end);
        break;
      case PP2_TYPE_AWS:
        if (end > start && header[start] === PP2_SUBTYPE_AWS_VPCE_ID) {
          tlvs.awsVpceId = header.toString('latin1', start + 1, end);
        }
        break;
      case PP2_TYPE_AZURE:
        if (end - start === 5 && header[start] === PP2_SUBTYPE_AZURE_LINKID) {
          tlvs.azureLinkId = header.readUInt32LE(start + 1);
        }
        break;
    }
  });
  return tlvs as unknown as ProxyProtocolTlvs;
}
