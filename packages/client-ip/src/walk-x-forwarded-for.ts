// Walks the X-Forwarded-For list right to left, stopping at the first untrusted address and failing closed on garbage.
import type { Candidate } from './candidate.js';
import { INVALID, type ParsedAddress } from './ip.js';
import { parseEntry } from './node-address.js';
import { type CompiledTrust, inRanges } from './trust.js';

function isOws(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * Walks `header` (every X-Forwarded-For line, joined in order) from the right. Each entry accepted is
 * captured in `best`; the walk ends at the first untrusted entry (the answer), at a malformed one
 * (the answer stays the last trusted hop: never the garbage, never anything left of it), or at the
 * left end. Empty list elements are skipped. With a trust function, each hop (`peer` at 0 first) is
 * asked about only once the next entry is found, as proxy-addr asks. Linear in the header length;
 * allocates nothing unless `chain` is given or a trust function needs the text.
 */
export function walkXForwardedFor(
  header: string,
  trust: CompiledTrust,
  allowZone: boolean,
  scratch: ParsedAddress,
  best: Candidate,
  chain: string[] | undefined,
  peer: string,
): void {
  const fn = trust.fn;
  let previous = peer;
  let end = header.length;
  let index = 0;
  for (;;) {
    const comma = end > 0 ? header.lastIndexOf(',', end - 1) : -1;
    let s = comma + 1;
    let e = end;
    while (s < e && isOws(header.charCodeAt(s))) s++;
    while (e > s && isOws(header.charCodeAt(e - 1))) e--;
    if (s < e) {
      if (fn !== undefined && fn(previous, index) !== true) return;
      index++;
      if (parseEntry(header, s, e, scratch, allowZone) === INVALID) return;
      best.capture(scratch, header, index, allowZone);
      if (chain) chain.push(best.address());
      if (fn !== undefined) previous = chain ? chain[chain.length - 1]! : best.address();
      else if (!(trust.hops > 0 ? index < trust.hops : inRanges(trust, scratch))) return;
    }
    if (comma < 0) return;
    end = comma;
  }
}

/** Number of non-empty elements in a comma-separated list. */
export function countListElements(list: string): number {
  let count = 0;
  let seen = false;
  for (let i = 0; i < list.length; i++) {
    const c = list.charCodeAt(i);
    if (c === 44) {
      if (seen) count++;
      seen = false;
    } else if (!isOws(c)) {
      seen = true;
    }
  }
  return seen ? count + 1 : count;
}

/** The `index`-th (1-based) non-empty element counted from the right, trimmed. */
export function listElementFromRight(list: string, index: number): string | undefined {
  let end = list.length;
  let seen = 0;
  for (;;) {
    const comma = end > 0 ? list.lastIndexOf(',', end - 1) : -1;
    let s = comma + 1;
    let e = end;
    while (s < e && isOws(list.charCodeAt(s))) s++;
    while (e > s && isOws(list.charCodeAt(e - 1))) e--;
    if (s < e && ++seen === index) return list.slice(s, e);
    if (comma < 0) return undefined;
    end = comma;
  }
}
