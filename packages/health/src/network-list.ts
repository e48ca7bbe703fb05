// A small CIDR matcher for `trustedNetworks`: which socket peers may see the detailed report.
import { LbkitError } from '@lbkit/core';

/** One network: 16 address bytes (IPv4 kept as IPv4-mapped IPv6) and a prefix length out of 128. */
interface Network {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

const NAMED: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
};

/** Longest textual IPv6 address (with an embedded IPv4 tail) plus a generous zone id. */
const MAX_ADDRESS_LENGTH = 64;

/** A compiled list of networks, matched against socket peer addresses. */
export class NetworkList {
  readonly #networks: readonly Network[];

  private constructor(networks: readonly Network[]) {
    this.#networks = networks;
  }

  /**
   * Compiles CIDRs, single addresses and the names `loopback`, `private`, `linklocal`.
   * Throws `LBKIT_HEALTH_NETWORK_INVALID` on anything else.
   */
  static parse(entries: readonly string[]): NetworkList {
    const networks: Network[] = [];
    for (const entry of entries) {
      if (typeof entry !== 'string') throw invalid(String(entry));
      const named = NAMED[entry.trim().toLowerCase()];
      for (const cidr of named ?? [entry]) networks.push(parseNetwork(cidr));
    }
    return new NetworkList(networks);
  }

  /** Number of networks after expanding names. */
  get size(): number {
    return this.#networks.length;
  }

  /** True when `address` (as `socket.remoteAddress` gives it) lies in one of the networks. */
  has(address: string | undefined): boolean {
    if (!address) return false;
    const bytes = parseAddress(address);
    if (!bytes) return false;
    for (const network of this.#networks) if (inNetwork(bytes, network)) return true;
    return false;
  }
}

function parseNetwork(cidr: string): Network {
  const text = cidr.trim();
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseAddress(addressText);
  if (!bytes) throw invalid(cidr);
  const isV4 = addressText.includes('.') && !addressText.includes(':');
  const width = isV4 ? 32 : 128;
  let prefix = width;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText)) throw invalid(cidr);
    prefix = Number(prefixText);
    if (prefix > width) throw invalid(cidr);
  }
  return { bytes, prefix: isV4 ? prefix + 96 : prefix };
}

function inNetwork(bytes: Uint8Array, network: Network): boolean {
  const full = network.prefix >> 3;
  for (let i = 0; i < full; i++) if (bytes[i] !== network.bytes[i]) return false;
  const rest = network.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[full]! ^ network.bytes[full]!) & mask) === 0;
}

/** Parses an IPv4 or IPv6 address (zone id ignored) into 16 bytes; IPv4 becomes ::ffff:a.b.c.d. */
export function parseAddress(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > MAX_ADDRESS_LENGTH) return undefined;
  const zone = text.indexOf('%');
  const address = zone < 0 ? text : text.slice(0, zone);
  if (!address.includes(':')) {
    const v4 = parseIPv4(address);
    if (!v4) return undefined;
    const bytes = new Uint8Array(16);
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    bytes.set(v4, 12);
    return bytes;
  }
  return parseIPv6(address);
}

function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    // Leading zeros are refused: some parsers read them as octal, so their meaning is ambiguous.
    if (!/^\d{1,3}$/.test(part) || (part.length > 1 && part[0] === '0')) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

function parseIPv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const groups: number[] = [];
  const tailGroups: number[] = [];
  if (!pushGroups(head, groups, halves.length === 1)) return undefined;
  if (!pushGroups(tail, tailGroups, true)) return undefined;
  const missing = 8 - groups.length - tailGroups.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...groups, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tailGroups];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    bytes[i * 2] = all[i]! >> 8;
    bytes[i * 2 + 1] = all[i]! & 0xff;
  }
  return bytes;
}

/** Appends 16-bit groups; an IPv4 tail is allowed only as the last part of the address. */
function pushGroups(parts: readonly string[], into: number[], endsAddress: boolean): boolean {
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (endsAddress && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIPv4(part);
      if (!v4) return false;
      into.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return false;
    into.push(Number.parseInt(part, 16));
  }
  return true;
}

function invalid(entry: string): LbkitError {
  return new LbkitError(
    'LBKIT_HEALTH_NETWORK_INVALID',
    `trustedNetworks: ${JSON.stringify(entry)} is not a network`,
    {
      hint: 'Use CIDRs such as 10.0.0.0/8 or fd00::/8, single addresses, or the names loopback, private, linklocal.',
    },
  );
}
