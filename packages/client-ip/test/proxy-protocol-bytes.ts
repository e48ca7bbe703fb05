// Builds PROXY protocol v2 headers byte by byte for tests (independent of the parser under test).
import { crc32c } from '../src/proxy-protocol/crc32c.js';

const SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

function v4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

function v6Bytes(address: string): number[] {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const [a, b, c, d] = v4Bytes(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = rest === undefined ? [] : rest ? rest.split(':') : [];
  const groups =
    rest === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  for (const group of groups) {
    const value = Number.parseInt(group, 16);
    tail.push(value >> 8, value & 255);
  }
  return tail;
}

/** What to put in a v2 header. `raw` replaces the address block + TLVs when given. */
export interface V2Spec {
  command?: 0 | 1;
  family: number;
  source?: string;
  destination?: string;
  sourcePort?: number;
  destinationPort?: number;
  tlvs?: [number, Buffer][];
  raw?: Buffer;
  /** Append a correct CRC32C TLV. */
  crc?: boolean;
}

/** A v2 header per the spec (HAProxy's proxy-protocol.txt §2.2). */
export function buildV2(spec: V2Spec): Buffer {
  let body: number[] = [];
  if (spec.raw) {
    body = [...spec.raw];
  } else {
    if (spec.family === 0x11) {
      body.push(...v4Bytes(spec.source!), ...v4Bytes(spec.destination!));
    } else if (spec.family === 0x21) {
      body.push(...v6Bytes(spec.source!), ...v6Bytes(spec.destination!));
    }
    if (spec.family === 0x11 || spec.family === 0x21) {
      const sp = spec.sourcePort ?? 40000;
      const dp = spec.destinationPort ?? 443;
      body.push(sp >> 8, sp & 255, dp >> 8, dp & 255);
    }
    for (const [type, value] of spec.tlvs ?? [])
      body.push(type, value.length >> 8, value.length & 255, ...value);
    if (spec.crc) body.push(0x03, 0, 4, 0, 0, 0, 0);
  }
  const header = Buffer.from([
    ...SIGNATURE,
    0x20 | (spec.command ?? 1),
    spec.family,
    body.length >> 8,
    body.length & 255,
    ...body,
  ]);
  if (spec.crc) header.writeUInt32BE(crc32c(header), header.length - 4);
  return header;
}
