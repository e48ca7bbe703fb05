// The best client address found so far on a walk, kept by position so its text is made only once, at the end.
import { formatIpv4, formatIpv6, rateLimitKeyOf } from './format.js';
import type { ParsedAddress } from './ip.js';
import { V4 } from './ip.js';

/** A resolver owns one; each walk overwrites it. */
export class Candidate {
  /** A forwarded entry was accepted (false: the answer is the socket peer). */
  found = false;
  kind = 0;
  v4 = 0;
  w0 = 0;
  w1 = 0;
  w2 = 0;
  w3 = 0;
  /** The string the address was read from, and where in it. */
  text = '';
  start = 0;
  end = 0;
  zoneStart = -1;
  zoneEnd = -1;
  canonicalSlice = false;
  /** 1-based position of the entry counted from the right of its list. */
  index = 0;

  /** Remembers the address `parsed` holds (read from `text`) at list position `index`. */
  capture(parsed: ParsedAddress, text: string, index: number, allowZone: boolean): void {
    this.found = true;
    this.kind = parsed.kind;
    this.v4 = parsed.v4;
    const w = parsed.words;
    this.w0 = w[0]!;
    this.w1 = w[1]!;
    this.w2 = w[2]!;
    this.w3 = w[3]!;
    this.text = text;
    this.start = parsed.start;
    this.end = parsed.end;
    this.zoneStart = allowZone ? parsed.zoneStart : -1;
    this.zoneEnd = parsed.zoneEnd;
    this.canonicalSlice = parsed.canonicalSlice;
    this.index = index;
  }

  /** Canonical text: the slice itself for a plain dotted quad, else formatted (RFC 5952, zone kept when allowed). */
  address(): string {
    if (this.kind === V4) {
      return this.canonicalSlice ? this.text.slice(this.start, this.end) : formatIpv4(this.v4);
    }
    const text = formatIpv6(this.w0, this.w1, this.w2, this.w3);
    return this.zoneStart >= 0 ? `${text}%${this.text.slice(this.zoneStart, this.zoneEnd)}` : text;
  }

  /** The rate-limit key of the address, given its text. */
  rateLimitKey(address: string): string {
    return this.kind === V4 ? address : rateLimitKeyOf(this.kind, this.v4, this.w0, this.w1);
  }
}
