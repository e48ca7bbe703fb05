// Property tests: generated header sets checked against a reference walk and against invariants (105,000 runs).
import { BlockList, isIP } from 'node:net';
import { type ClientInfo, createClientIpResolver } from '@lbkit/client-ip';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { fakeRequest } from './helpers.js';

const TRUST = ['10.0.0.0/8', '127.0.0.1', '2001:db8:aaaa::/48'];

// An independent oracle for trust: node's BlockList, not lbkit's intervals.
const oracle = new BlockList();
oracle.addSubnet('10.0.0.0', 8, 'ipv4');
oracle.addAddress('127.0.0.1', 'ipv4');
oracle.addSubnet('2001:db8:aaaa::', 48, 'ipv6');
const trusted = (ip: string): boolean => oracle.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4');

// An independent oracle for canonical IPv6 text: the WHATWG URL serializer (same compression as RFC 5952).
function canonicalV6(text: string): string {
  const host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return host;
  const hi = Number.parseInt(mapped[1]!, 16);
  const lo = Number.parseInt(mapped[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** A generated list entry and what it must resolve to (null: malformed, the walk must stop). */
interface Entry {
  readonly text: string;
  readonly canonical: string | null;
}

const octet = fc.integer({ min: 0, max: 255 });
const port = fc.integer({ min: 0, max: 65535 });
const v4 = fc
  .oneof(
    fc.tuple(fc.constant(10), octet, octet, octet),
    fc.tuple(fc.integer({ min: 1, max: 223 }), octet, octet, octet),
    fc.constant([127, 0, 0, 1] as const),
  )
  .map((parts) => parts.join('.'))
  .filter((ip) => ip !== '0.0.0.0');
const hextet = fc.integer({ min: 0, max: 0xffff });
const v6Groups = fc.oneof(
  fc.tuple(
    fc.constant(0x2001),
    fc.constant(0xdb8),
    fc.constant(0xaaaa),
    hextet,
    hextet,
    hextet,
    hextet,
    hextet,
  ),
  fc.tuple(hextet, hextet, fc.constant(0), fc.constant(0), hextet, hextet, fc.constant(0), hextet),
  fc.tuple(fc.constant(0x2001), fc.constant(0xdb8), hextet, hextet, hextet, hextet, hextet, hextet),
);
const v6 = fc
  .tuple(v6Groups, fc.boolean(), fc.boolean())
  .map(([groups, pad, upper]) => {
    const text = groups.map((g) => (pad ? g.toString(16).padStart(4, '0') : g.toString(16))).join(':');
    return upper ? text.toUpperCase() : text;
  })
  .filter((text) => canonicalV6(text) !== '::' && !/^0+:0+:0+:0+:0+:ffff:0+:0+$/i.test(text));

const MALFORMED = [
  'unknown',
  'localhost',
  '2130706433',
  '0x7f.0.0.1',
  '0177.0.0.1',
  '1.2.3',
  '1.2.3.4.5',
  '256.1.1.1',
  '::8:8:8:8:8:8:8:8:8',
  '[1.2.3.4]',
  '1.2.3.4:99999',
  '1.2.3.4:',
  '[::1',
  '::1]',
  '0.0.0.0',
  '::',
  'fe80::1%eth0',
  '_hidden',
  '1.2.3.4 5.6.7.8',
];

const validEntry: fc.Arbitrary<Entry> = fc.oneof(
  v4.map((ip) => ({ text: ip, canonical: ip })),
  fc.tuple(v4, port).map(([ip, p]) => ({ text: `${ip}:${p}`, canonical: ip })),
  v4.map((ip) => ({ text: `"${ip}"`, canonical: ip })),
  v6.map((ip) => ({ text: ip, canonical: canonicalV6(ip) })),
  fc.tuple(v6, port).map(([ip, p]) => ({ text: `[${ip}]:${p}`, canonical: canonicalV6(ip) })),
  v4.map((ip) => ({ text: `::ffff:${ip}`, canonical: ip })),
);
const malformedEntry: fc.Arbitrary<Entry> = fc.oneof(
  fc.constantFrom(...MALFORMED).map((text) => ({ text, canonical: null })),
  fc.stringMatching(/^[g-z]{1,8}$/).map((text) => ({ text, canonical: null })),
);
const entry = fc.oneof(
  { arbitrary: validEntry, weight: 8 },
  { arbitrary: malformedEntry, weight: 1 },
  { arbitrary: fc.constantFrom('', ' ', '\t').map((text) => ({ text, canonical: '' })), weight: 1 },
);
const ows = fc.constantFrom('', ' ', '  ', '\t');
const peer = fc.constantFrom(
  '10.1.2.3',
  '127.0.0.1',
  '::ffff:10.0.0.9',
  '2001:db8:aaaa::5',
  '203.0.113.7',
  '2001:db8:bbbb::1',
  '::1',
);

/** The reference walk the issue specifies: right to left, skip empty, stop at garbage or the first untrusted. */
function referenceWalk(peerAddress: string, entries: readonly Entry[], hops = 0): string {
  const peerCanonical = peerAddress.includes(':') ? canonicalV6(peerAddress) : peerAddress;
  if (!trusted(peerCanonical)) return peerCanonical;
  let answer = peerCanonical;
  let index = 0;
  for (let k = entries.length - 1; k >= 0; k--) {
    const { canonical } = entries[k]!;
    if (canonical === '') continue;
    index++;
    if (canonical === null) return answer;
    answer = canonical;
    const isTrusted = hops > 0 ? index < hops : trusted(canonical);
    if (!isTrusted) return answer;
  }
  return answer;
}

/** Invariants of every answer; a plain predicate (no expect) so 105,000 runs stay fast. */
function invariantsHold(info: ClientInfo): boolean {
  if (info.ip === undefined) return info.chain.length === 0;
  if (isIP(info.ip.split('%')[0]!) === 0) return false;
  if (info.chain.at(-1) !== info.ip) return false;
  // Every hop before the answer was trusted: nothing left of an untrusted hop is ever returned.
  for (let i = 0; i < info.chain.length - 1; i++) if (!trusted(info.chain[i]!)) return false;
  return (info.proto === 'http' || info.proto === 'https') && info.rateLimitKey !== undefined;
}

describe('property: X-Forwarded-For', () => {
  const resolver = createClientIpResolver({ trust: TRUST });

  it('matches the reference walk on 40,000 generated chains', () => {
    fc.assert(
      fc.property(peer, fc.array(fc.tuple(entry, ows, ows), { maxLength: 12 }), (peerAddress, parts) => {
        const header = parts.map(([e, before, after]) => before + e.text + after).join(',');
        const entries = parts.map(([e]) => (e.text.trim() === '' ? { ...e, canonical: '' } : e));
        const req = fakeRequest(peerAddress, { 'x-forwarded-for': header });
        const expected = referenceWalk(peerAddress, entries);
        const info = resolver.resolve(req);
        return resolver.ip(req) === expected && info.ip === expected && invariantsHold(info);
      }),
      { numRuns: 40_000 },
    );
  });

  it('hop counts match the reference walk by position on 5,000 chains', () => {
    const byHops = [1, 2, 3].map((hops) => createClientIpResolver({ trust: { peers: TRUST, hops } }));
    fc.assert(
      fc.property(
        peer,
        fc.integer({ min: 1, max: 3 }),
        fc.array(entry, { maxLength: 6 }),
        (peerAddress, hops, parts) => {
          const req = fakeRequest(peerAddress, { 'x-forwarded-for': parts.map((e) => e.text).join(', ') });
          const entries = parts.map((e) => (e.text.trim() === '' ? { ...e, canonical: '' } : e));
          return byHops[hops - 1]!.ip(req) === referenceWalk(peerAddress, entries, hops);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('never throws and never returns a non-IP on 15,000 arbitrary headers', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF:.,[]" \t%_xyz-'.split(''));
    const junk = fc.oneof(
      fc.string({ unit: 'binary-ascii', maxLength: 80 }),
      fc.array(alphabet, { maxLength: 80 }).map((chars) => chars.join('')),
    );
    fc.assert(
      fc.property(peer, junk, junk, (peerAddress, left, right) => {
        const header = `${left},10.0.0.1,${right}`;
        return invariantsHold(
          resolver.resolve(
            fakeRequest(peerAddress, { 'x-forwarded-for': header, 'x-forwarded-proto': right }),
          ),
        );
      }),
      { numRuns: 15_000 },
    );
  });
});

/** A generated Forwarded element and the address it resolves to (null: the walk must stop there). */
interface Element {
  readonly text: string;
  readonly canonical: string | null;
}

const extra = fc.constantFrom(
  '',
  ';proto=https',
  ';proto=http;host=app.example',
  ';by=_lb',
  ';host="a.example:8443"',
);
const validElement: fc.Arbitrary<Element> = fc.oneof(
  fc.tuple(v4, extra).map(([ip, x]) => ({ text: `for=${ip}${x}`, canonical: ip })),
  fc.tuple(v4, port, extra).map(([ip, p, x]) => ({ text: `For="${ip}:${p}"${x}`, canonical: ip })),
  fc.tuple(v6, extra).map(([ip, x]) => ({ text: `for="[${ip}]"${x}`, canonical: canonicalV6(ip) })),
  fc.tuple(v6, port, extra).map(([ip, p, x]) => ({
    text: `${x.slice(1) || 'by=x'};FOR="[${ip}]:${p}"`,
    canonical: canonicalV6(ip),
  })),
);
const stoppingElement: fc.Arbitrary<Element> = fc
  .constantFrom(
    'for=unknown',
    'for="_hidden:_port"',
    'for =1.2.3.4',
    'for= 1.2.3.4',
    'for=1.2.3.4;for=1.2.3.5',
    'for=[::1]',
    'for="[1.2.3.4]"',
    'for="::1"',
    'f@r=1.2.3.4',
    'proto=https',
    'for=0.0.0.0',
    'for="1.2.3.4"x',
    'for=1.2.3.4\\',
  )
  .map((text) => ({ text, canonical: null }));
const element = fc.oneof({ arbitrary: validElement, weight: 6 }, { arbitrary: stoppingElement, weight: 1 });

describe('property: Forwarded (RFC 7239)', () => {
  const resolver = createClientIpResolver({ trust: TRUST, source: 'forwarded' });

  it('matches the reference walk on 30,000 generated headers', () => {
    fc.assert(
      fc.property(peer, fc.array(fc.tuple(element, ows), { maxLength: 8 }), (peerAddress, parts) => {
        const header = parts.map(([e, space]) => e.text + space).join(`,${parts.length % 2 ? ' ' : ''}`);
        const req = fakeRequest(peerAddress, { forwarded: header });
        const expected = referenceWalk(
          peerAddress,
          parts.map(([e]) => e),
        );
        const info = resolver.resolve(req);
        return resolver.ip(req) === expected && info.ip === expected && invariantsHold(info);
      }),
      { numRuns: 30_000 },
    );
  });

  it('never throws and never returns a non-IP on 10,000 arbitrary headers', () => {
    const alphabet = fc.constantFrom(...'forFOR=;,"\\[]:._- 0123456789abcdefhostproto\t'.split(''));
    const junk = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc.array(alphabet, { maxLength: 100 }).map((chars) => chars.join('')),
    );
    fc.assert(
      fc.property(peer, junk, junk, (peerAddress, left, right) => {
        return invariantsHold(
          resolver.resolve(fakeRequest(peerAddress, { forwarded: `${left}, for=10.0.0.1,${right}` })),
        );
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('property: single header', () => {
  const resolver = createClientIpResolver({ trust: TRUST, source: 'x-real-ip' });

  it('answers the header only from a trusted peer and only when it is one valid address (5,000 runs)', () => {
    fc.assert(
      fc.property(peer, fc.oneof(validEntry, malformedEntry), (peerAddress, value) => {
        const info = resolver.resolve(fakeRequest(peerAddress, { 'x-real-ip': value.text }));
        const peerCanonical = peerAddress.includes(':') ? canonicalV6(peerAddress) : peerAddress;
        const expected = trusted(peerCanonical) && value.canonical ? value.canonical : peerCanonical;
        return info.ip === expected && invariantsHold(info);
      }),
      { numRuns: 5_000 },
    );
  });
});
