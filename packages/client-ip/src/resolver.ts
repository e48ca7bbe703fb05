// The resolver: socket peer first, then the one configured source, walked against the compiled trust.
import { brand } from '@lbkit/core/internal';
import { Candidate } from './candidate.js';
import { parseForwarded } from './forwarded-parser.js';
import { forwardedPortOf, isValidHost, portOfHost, protoOf } from './host.js';
import { INVALID, isUnspecified, ParsedAddress, parseIp } from './ip.js';
import { parseEntry } from './node-address.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
import { proxyProtocolInfo } from './proxy-protocol/info.js';
import { inRanges } from './trust.js';
import type { ClientInfo, ClientIpOptions, ClientIpResolver, ResolvableRequest } from './types.js';
import { walkForwarded } from './walk-forwarded.js';
import { countListElements, listElementFromRight, walkXForwardedFor } from './walk-x-forwarded-for.js';

type Headers = ResolvableRequest['headers'];

// Some test doubles and framework shims hand over a request without a socket: treat it as one without an address.
const NO_SOCKET: ResolvableRequest['socket'] = Object.freeze({});

function headerText(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : undefined;
}

/**
 * The value of a forwarded-* header for the hop at `index` (1-based from the right): a single value is
 * the one every proxy passes along; a list as long as the address list is read at the same position;
 * any other shape is ambiguous and ignored.
 */
function sameHop(
  value: string | string[] | undefined,
  index: number,
  listLength: () => number,
): string | undefined {
  const text = headerText(value);
  if (text === undefined) return undefined;
  if (!text.includes(',')) return text.trim() || undefined;
  const count = countListElements(text);
  if (count === 1) return listElementFromRight(text, 1);
  return count === listLength() ? listElementFromRight(text, index) : undefined;
}

function hostHeader(headers: Headers): string | undefined {
  const host = headers.host;
  return typeof host === 'string' && isValidHost(host) ? host : undefined;
}

const RESOLVER = brand<ClientIpResolver>('clientIpResolver');

class Resolver implements ClientIpResolver {
  readonly source: ResolvedOptions['source'];
  readonly frameworkFields: boolean;
  readonly #options: ResolvedOptions;
  readonly #peer = new ParsedAddress();
  readonly #scratch = new ParsedAddress();
  readonly #best = new Candidate();
  readonly #peerCandidate = new Candidate();

  constructor(options: ResolvedOptions) {
    RESOLVER.mark(this);
    this.#options = options;
    this.source = options.source;
    this.frameworkFields = options.frameworkFields;
  }

  /** Parses the socket peer into the peer candidate; false when the socket has no IP address. */
  #readPeer(req: ResolvableRequest): boolean {
    const remote = (req.socket ?? NO_SOCKET).remoteAddress;
    if (typeof remote !== 'string' || parseIp(remote, 0, remote.length, this.#peer, true) === INVALID) {
      this.#peerCandidate.found = false;
      return false;
    }
    this.#peerCandidate.capture(this.#peer, remote, 0, this.#options.allowZoneId);
    return true;
  }

  /** Walks the configured source; leaves the answer in #best (found=false: the peer is the answer). */
  #walk(req: ResolvableRequest, chain: string[] | undefined): ReturnType<typeof walkForwarded> {
    const { kind, trust, allowZoneId } = this.#options;
    const best = this.#best;
    best.found = false;
    const fn = trust.fn;
    // A trust function sees the peer's text, and only once a forwarded hop beyond it is found.
    const peer = fn === undefined ? '' : (chain?.[0] ?? this.#peerCandidate.address());
    if (fn === undefined && !inRanges(trust, this.#peer)) return undefined;
    const headers = req.headers;
    if (kind === 'x-forwarded-for') {
      const header = headerText(headers['x-forwarded-for']);
      if (header !== undefined)
        walkXForwardedFor(header, trust, allowZoneId, this.#scratch, best, chain, peer);
      return undefined;
    }
    if (kind === 'forwarded') {
      const header = headerText(headers.forwarded);
      if (header === undefined) return undefined;
      return walkForwarded(parseForwarded(header), trust, allowZoneId, this.#scratch, best, chain, peer);
    }
    if (kind === 'header') {
      const value = headers[this.#options.header];
      if (value === undefined || (fn !== undefined && fn(peer, 0) !== true)) return undefined;
      // A list or a repeated header means someone upstream appended or injected: refuse both.
      if (typeof value !== 'string' || value.includes(',')) return undefined;
      let s = 0;
      let e = value.length;
      while (s < e && (value.charCodeAt(s) === 32 || value.charCodeAt(s) === 9)) s++;
      while (e > s && (value.charCodeAt(e - 1) === 32 || value.charCodeAt(e - 1) === 9)) e--;
      if (parseEntry(value, s, e, this.#scratch, allowZoneId) === INVALID) return undefined;
      best.capture(this.#scratch, value, 1, allowZoneId);
      if (chain) chain.push(best.address());
      return undefined;
    }
    const info = proxyProtocolInfo(req.socket);
    const source = info?.command === 'proxy' ? info.source : undefined;
    if (
      source &&
      (fn === undefined || fn(peer, 0) === true) &&
      parseIp(source.address, 0, source.address.length, this.#scratch, false) !== INVALID &&
      !isUnspecified(this.#scratch)
    ) {
      best.capture(this.#scratch, source.address, 1, false);
      if (chain) chain.push(best.address());
    }
    return undefined;
  }

  ip(req: ResolvableRequest): string | undefined {
    if (!this.#readPeer(req)) return undefined;
    this.#walk(req, undefined);
    return (this.#best.found ? this.#best : this.#peerCandidate).address();
  }

  resolve(req: ResolvableRequest): ClientInfo {
    const socket = req.socket ?? NO_SOCKET;
    const socketProto = socket.encrypted ? 'https' : 'http';
    if (!this.#readPeer(req)) {
      return {
        ip: undefined,
        proto: socketProto,
        host: hostHeader(req.headers),
        port: socket.localPort,
        chain: [],
        source: 'socket',
        rateLimitKey: undefined,
      };
    }
    const peer = this.#peerCandidate.address();
    const chain = [peer];
    const element = this.#walk(req, chain);
    const best = this.#best;
    if (!best.found) {
      return {
        ip: peer,
        proto: socketProto,
        host: hostHeader(req.headers),
        port: socket.localPort,
        chain,
        source: 'socket',
        rateLimitKey: this.#peerCandidate.rateLimitKey(peer),
      };
    }
    const ip = chain[chain.length - 1]!;
    let proto: 'http' | 'https' | undefined;
    let host: string | undefined;
    let port: number | undefined;
    const { kind } = this.#options;
    const headers = req.headers;
    if (kind === 'forwarded') {
      proto = element?.proto === undefined ? undefined : protoOf(element.proto);
      host = element?.host !== undefined && isValidHost(element.host) ? element.host : undefined;
    } else if (kind === 'proxy-protocol') {
      const info = proxyProtocolInfo(socket);
      if (info?.tlvs.ssl?.client) proto = 'https';
      port = info?.destination?.port;
    } else {
      let xffLength = -1;
      const listLength = (): number => {
        if (xffLength < 0) {
          xffLength = kind === 'header' ? 1 : countListElements(headerText(headers['x-forwarded-for']) ?? '');
        }
        return xffLength;
      };
      const index = best.index;
      const protoText = sameHop(headers['x-forwarded-proto'], index, listLength);
      proto = protoText === undefined ? undefined : protoOf(protoText);
      const hostText = sameHop(headers['x-forwarded-host'], index, listLength);
      host = hostText !== undefined && isValidHost(hostText) ? hostText : undefined;
      const portText = sameHop(headers['x-forwarded-port'], index, listLength);
      port = portText === undefined ? undefined : forwardedPortOf(portText);
    }
    port ??= host === undefined ? undefined : portOfHost(host);
    port ??= proto === undefined ? undefined : proto === 'https' ? 443 : 80;
    return {
      ip,
      proto: proto ?? socketProto,
      host: host ?? hostHeader(headers),
      port: port ?? socket.localPort,
      chain,
      source: this.source,
      rateLimitKey: best.rateLimitKey(ip),
    };
  }
}

/**
 * Compiles options into a resolver. Everything is checked here, once: misconfiguration throws
 * `LbkitError` (codes in the README) at startup, never per request. The resolver never throws on
 * request input (a trust function's own exception passes through).
 */
export function createClientIpResolver(options: ClientIpOptions): ClientIpResolver {
  return new Resolver(resolveOptions(options));
}

/**
 * True when `value` was made by {@link createClientIpResolver}, by this copy of @lbkit/client-ip or
 * another one (adapters accept options or a ready resolver).
 */
export function isClientIpResolver(value: unknown): value is ClientIpResolver {
  return RESOLVER.is(value);
}
