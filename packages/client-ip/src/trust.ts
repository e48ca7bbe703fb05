// Compiles the trust option once into sorted, merged address intervals that each request checks by binary search.
import { LbkitError } from '@lbkit/core';
import { OptionReader } from '@lbkit/core/internal';
import { type Ipv6Interval, parseRange } from './cidr.js';
import type { ParsedAddress } from './ip.js';
import { V4 } from './ip.js';
import { NAMED_RANGES } from './named-ranges.js';
import { PRESET_NAMES, rangePreset } from './presets.js';
import type { TrustEntry, TrustFunction, TrustHops, TrustOption } from './types.js';

/** A compiled trust rule. */
export interface CompiledTrust {
  /** Disjoint IPv4 intervals as [start, end] pairs, sorted. */
  readonly v4: Uint32Array;
  /** Disjoint IPv6 intervals, 8 words each (start then end), sorted. */
  readonly v6: Uint32Array;
  /** 0: every address in the intervals is trusted. n ≥ 1: the peer must be in them, then n hops are trusted by position. */
  readonly hops: number;
  /** The user's function: when set, it alone decides, called hop by hop as proxy-addr calls it (the intervals are empty). */
  readonly fn: TrustFunction | undefined;
}

const TRUST_ALL_WORDS = new Set(['true', '*', 'all', 'any', 'everything']);
const MAX_HOPS = 32;
const HOPS_KEYS = Object.keys({ peers: true, hops: true } satisfies Record<keyof TrustHops, true>);

function trustAllRefused(what: string): LbkitError {
  return new LbkitError(
    'LBKIT_CLIENT_IP_TRUST_ALL_REFUSED',
    `trusting every proxy (${what}) lets any client choose its own address by sending X-Forwarded-For`,
    {
      hint: "List the proxies that really connect to this app: trust: ['10.0.0.0/8'] (the balancer's subnet), 'loopback' for a local nginx, or a preset such as 'cloudflare'.",
    },
  );
}

function entriesOf(value: unknown, label: string): string[] {
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? (value as unknown[]) : undefined;
  if (!list) {
    throw new LbkitError(
      'LBKIT_CLIENT_IP_TRUST_INVALID',
      `${label} must be a string or an array of strings`,
      {
        hint: "For example trust: ['loopback', '10.0.0.0/8'].",
      },
    );
  }
  const out: string[] = [];
  for (const item of list) {
    if (item === true) throw trustAllRefused('true');
    if (typeof item !== 'string') {
      throw new LbkitError(
        'LBKIT_CLIENT_IP_TRUST_INVALID',
        `${label} holds ${JSON.stringify(item)}, which is not a string`,
        {
          hint: "Each entry is an address, a CIDR, a named range or a preset, for example '10.0.0.0/8'.",
        },
      );
    }
    for (const part of item.split(',')) {
      const entry = part.trim();
      if (entry) out.push(entry);
    }
  }
  return out;
}

function compare6(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number): number {
  for (let k = 0; k < 4; k++) {
    const d = a[ai + k]! - b[bi + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

function compileRanges(entries: readonly TrustEntry[]): { v4: Uint32Array; v6: Uint32Array } {
  const v4: { start: number; end: number }[] = [];
  const v6: Ipv6Interval[] = [];
  const add = (cidr: string, entry: string): void => {
    const range = parseRange(cidr);
    if (range.prefix === 0) throw trustAllRefused(entry);
    if (range.v4) v4.push({ ...range.v4 });
    if (range.v6) v6.push(range.v6);
  };
  for (const raw of entries) {
    const entry = raw.toLowerCase();
    if (TRUST_ALL_WORDS.has(entry)) throw trustAllRefused(JSON.stringify(raw));
    const named = NAMED_RANGES[entry];
    if (named) {
      for (const cidr of named) add(cidr, raw);
    } else if (PRESET_NAMES.includes(entry)) {
      const preset = rangePreset(entry);
      for (const cidr of [...preset.ipv4, ...preset.ipv6]) add(cidr, raw);
    } else {
      add(raw, raw);
    }
  }
  v4.sort((a, b) => a.start - b.start);
  const mergedV4: number[] = [];
  for (const { start, end } of v4) {
    const last = mergedV4.length - 1;
    if (last > 0 && start <= mergedV4[last]! + 1) mergedV4[last] = Math.max(mergedV4[last]!, end);
    else mergedV4.push(start, end);
  }
  v6.sort((a, b) => compare6(a.start, 0, b.start, 0));
  const mergedV6: number[] = [];
  for (const { start, end } of v6) {
    const last = mergedV6.length - 8;
    // Adjacent intervals merge too (::/1 then 8000::/1), so coverage of the whole space shows as one interval.
    if (last >= 0 && touches6(start, mergedV6, last + 4)) {
      if (compare6(end, 0, mergedV6, last + 4) > 0) mergedV6.splice(last + 4, 4, ...end);
    } else {
      mergedV6.push(...start, ...end);
    }
  }
  // Ranges that together cover a whole family trust everyone as surely as 0.0.0.0/0 does.
  if (mergedV4.length === 2 && mergedV4[0] === 0 && mergedV4[1] === 0xffffffff) {
    throw trustAllRefused(`${listed(entries)} together cover every IPv4 address`);
  }
  if (mergedV6.length === 8 && mergedV6.every((word, i) => word === (i < 4 ? 0 : 0xffffffff))) {
    throw trustAllRefused(`${listed(entries)} together cover every IPv6 address`);
  }
  return { v4: Uint32Array.from(mergedV4), v6: Uint32Array.from(mergedV6) };
}

function listed(entries: readonly string[]): string {
  const shown = entries.slice(0, 4).join(', ');
  return entries.length > 4 ? `${shown}, …` : shown;
}

/** True when `start` is at most one past the interval end held in `words` at `at` (overlapping or adjacent). */
function touches6(start: readonly number[], words: readonly number[], at: number): boolean {
  // end + 1, carried across the four words; an end of all ones reaches everything after it.
  const next = [0, 0, 0, 0];
  let carry = 1;
  for (let k = 3; k >= 0; k--) {
    const sum = words[at + k]! + carry;
    next[k] = sum >>> 0;
    carry = sum > 0xffffffff ? 1 : 0;
  }
  return carry === 1 || compare6(start, 0, next, 0) <= 0;
}

const EMPTY = { v4: new Uint32Array(0), v6: new Uint32Array(0) };

function trustFunction(fn: TrustFunction, label: string): TrustFunction {
  // An async function answers with a Promise, which proxy-addr reads as truthy: it would trust everyone.
  if (fn.constructor.name === 'AsyncFunction' || fn.constructor.name === 'AsyncGeneratorFunction') {
    throw new LbkitError(
      'LBKIT_CLIENT_IP_TRUST_FUNCTION_INVALID',
      `${label} is an async function; its Promise would read as "trusted" for every address`,
      {
        hint: 'Pass a synchronous (address, hopIndex) => boolean, deciding from data loaded at startup, or a list of CIDRs.',
      },
    );
  }
  return fn;
}

/**
 * Compiles a {@link TrustOption}. Throws `LbkitError` for anything that would trust everyone, for hop
 * counts without the peer range, and for entries that are not addresses, CIDRs, names or presets.
 * A function, where `allowFunction` permits one (the resolver's `trust`, not PROXY `peers`), is kept:
 * it alone decides (async functions refused).
 */
export function compileTrust(
  option: TrustOption | undefined,
  label = 'trust',
  owner = 'createClientIpResolver()',
  allowFunction = false,
): CompiledTrust {
  if (option === undefined || option === null) {
    throw new LbkitError('LBKIT_CLIENT_IP_TRUST_REQUIRED', `${label} is required`, {
      hint: "Say which proxies connect to this app: trust: 'loopback' for a local nginx, ['10.0.0.0/8'] for a balancer subnet, or [] to use the socket address only.",
    });
  }
  if ((option as unknown) === true) throw trustAllRefused('true');
  if (typeof option === 'function' && allowFunction)
    return { ...EMPTY, hops: 0, fn: trustFunction(option, label) };
  if (typeof option === 'number') {
    throw new LbkitError(
      'LBKIT_CLIENT_IP_HOPS_PEER_REQUIRED',
      `${label}: a bare hop count (${option}) trusts any direct client`,
      {
        hint: `A client that reaches the app without the proxy picks its own address. Say where the proxy connects from: { peers: ['10.0.0.0/8'], hops: ${option} }.`,
      },
    );
  }
  if (typeof option === 'object' && !Array.isArray(option)) {
    // `{ peer: …, hops }` is refused with the closest name instead of reading as "no peers".
    const nested = new OptionReader<TrustHops>('CLIENT_IP', owner, option, HOPS_KEYS, label);
    const peers: unknown = nested.get('peers');
    const hops: unknown = nested.get('hops');
    if (!Number.isInteger(hops) || (hops as number) < 1 || (hops as number) > MAX_HOPS) {
      throw new LbkitError(
        'LBKIT_CLIENT_IP_HOPS_INVALID',
        `${label}.hops must be a whole number from 1 to ${MAX_HOPS}`,
        {
          hint: 'Count the proxies in front of the app, the one connecting to it included: nginx alone is 1.',
        },
      );
    }
    const entries = peers === undefined ? [] : entriesOf(peers, `${label}.peers`);
    if (entries.length === 0) {
      throw new LbkitError('LBKIT_CLIENT_IP_HOPS_PEER_REQUIRED', `${label}.hops needs ${label}.peers`, {
        hint: "Say where the nearest proxy connects from: { peers: ['10.0.0.0/8'], hops: 2 }.",
      });
    }
    return { ...compileRanges(entries), hops: hops as number, fn: undefined };
  }
  return { ...compileRanges(entriesOf(option, label)), hops: 0, fn: undefined };
}

/** True when the IPv4 value is in one of the intervals. */
export function contains4(intervals: Uint32Array, value: number): boolean {
  let lo = 0;
  let hi = (intervals.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (value < intervals[mid * 2]!) hi = mid - 1;
    else if (value > intervals[mid * 2 + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** True when the IPv6 words are in one of the intervals. */
export function contains6(intervals: Uint32Array, words: Uint32Array): boolean {
  let lo = 0;
  let hi = (intervals.length >> 3) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (compare6(words, 0, intervals, mid * 8) < 0) hi = mid - 1;
    else if (compare6(words, 0, intervals, mid * 8 + 4) > 0) lo = mid + 1;
    else return true;
  }
  return false;
}

/** True when the parsed address is in the compiled ranges (hop position is the caller's business). */
export function inRanges(trust: CompiledTrust, address: ParsedAddress): boolean {
  return address.kind === V4 ? contains4(trust.v4, address.v4) : contains6(trust.v6, address.words);
}
