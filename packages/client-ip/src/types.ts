// Public types of @lbkit/client-ip.

/**
 * One trusted-proxy entry: an IPv4/IPv6 address, a CIDR (`10.0.0.0/8`, `fd00::/8`), a named range
 * (`loopback`, `linklocal`, `private`, `uniquelocal`) or a provider preset (`cloudflare`, `cloudfront`,
 * `fastly`). A string may hold several entries separated by commas, as in `LBKIT_TRUST`.
 */
export type TrustEntry = string;

/**
 * Which proxies are trusted.
 * - a list (or comma-separated string) of {@link TrustEntry}: every address in it is a trusted proxy;
 *   the walk stops at the first address outside it;
 * - `{ peers, hops }`: the socket peer must be in `peers`, and then `hops` proxies in all (the peer
 *   included) are trusted by position, whatever their addresses.
 *
 * - a {@link TrustFunction} `(address, hopIndex) => boolean`, as proxy-addr and Express's `trust proxy` take.
 *
 * `true`, `'*'`, `0.0.0.0/0`-style "everything" and ranges that together cover a whole address family
 * (`0.0.0.0/1` + `128.0.0.0/1`) are refused: anyone could then choose their address.
 */
export type TrustOption = TrustEntry | readonly TrustEntry[] | TrustHops | TrustFunction;

/**
 * A trust decision written as code, called as proxy-addr (and so Express's and Fastify's `trust
 * proxy` function) calls it: hop by hop from the socket outwards, `address` being the socket peer
 * at `hopIndex` 0 and then each forwarded address right to left at 1, 2, …; a hop is asked about
 * only when there is an address beyond it, and the walk stops at the first `false`. Addresses are
 * canonical text (IPv4-mapped IPv6 as IPv4, IPv6 per RFC 5952, no port); a malformed entry ends the
 * walk before the function would see it. Only `true` trusts. Must be synchronous; an exception it
 * throws propagates to the caller of `resolve()` / `ip()`.
 */
export type TrustFunction = (address: string, hopIndex: number) => boolean;

/** Hop-count trust, only ever together with the range the socket peer must come from. */
export interface TrustHops {
  /** Where the socket peer (the nearest proxy) must connect from. */
  readonly peers: TrustEntry | readonly TrustEntry[];
  /** Number of proxies in front of the app, the socket peer included (1 to 32). */
  readonly hops: number;
}

/**
 * Where the client address comes from; one per deployment, never guessed.
 * - `x-forwarded-for`: the X-Forwarded-For list, walked right to left;
 * - `forwarded`: the RFC 7239 Forwarded header, walked right to left;
 * - `proxy-protocol`: the PROXY protocol header read by {@link acceptProxyProtocol};
 * - any other header name (`cf-connecting-ip`, `true-client-ip`, `x-real-ip`, `fly-client-ip`,
 *   `x-azure-socketip`, …): one address set by the trusted peer.
 */
export type ClientIpSource = 'x-forwarded-for' | 'forwarded' | 'proxy-protocol' | (string & {});

/** Options of {@link createClientIpResolver} and of the Express / Fastify adapters. */
export interface ClientIpOptions {
  /** Trusted proxies. Required: `[]` trusts none and always answers with the socket address. */
  readonly trust: TrustOption;
  /** Where the client address comes from. Default `x-forwarded-for`. */
  readonly source?: ClientIpSource;
  /** Accept IPv6 zone ids (`fe80::1%eth0`) in forwarded addresses and keep them in the output. Default false. */
  readonly allowZoneId?: boolean;
  /**
   * Express / Fastify adapters: also make the framework's own request fields report what was
   * resolved — Express `req.ip`, `req.ips`, `req.protocol`, `req.secure`, `req.hostname`; Fastify
   * `request.ip`, `request.ips`, `request.protocol`, `request.host` (and so `hostname`, `port`) — so
   * every library that reads them sees the real client. Default false. `createClientIpResolver()`
   * checks it and keeps it as `resolver.frameworkFields` for the adapters.
   */
  readonly frameworkFields?: boolean;
}

/** What was resolved for one request. Every address in it is canonical text (RFC 5952 for IPv6). */
export interface ClientInfo {
  /**
   * The client address: the first untrusted address walking from the socket peer outwards, or the
   * last trusted one when the next entry is malformed or hidden. Never a string that is not an IP
   * address; `undefined` only when the socket has no IP address (a Unix socket, or already closed)
   * and nothing trusted said more.
   */
  readonly ip: string | undefined;
  /** `https` or `http`, from the same hop as `ip` when a trusted proxy said so, else from the socket. */
  readonly proto: 'http' | 'https';
  /** Host the client asked for, syntax-checked: from the same hop as `ip` when forwarded, else the Host header. */
  readonly host: string | undefined;
  /** Port the client connected to: forwarded port, port in the forwarded host, default of the forwarded proto, or the socket's local port. */
  readonly port: number | undefined;
  /** The addresses walked, nearest first: the socket peer, each trusted hop, and `ip` last. */
  readonly chain: readonly string[];
  /** Where `ip` came from: `socket`, or the configured source (`x-forwarded-for`, `forwarded`, `proxy-protocol`, a header name). */
  readonly source: 'socket' | ClientIpSource;
  /** Key to rate-limit by: the IPv4 address, or the IPv6 /64 (`2001:db8:1:2::/64`). */
  readonly rateLimitKey: string | undefined;
}

/** The request shape the resolver reads: a node:http `IncomingMessage` fits. */
export interface ResolvableRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly socket: {
    readonly remoteAddress?: string | undefined;
    readonly localPort?: number | undefined;
    readonly encrypted?: boolean | undefined;
  };
}

/** A compiled resolver: trust and source are checked once, each request only walks its headers. */
export interface ClientIpResolver {
  /** The configured source. */
  readonly source: ClientIpSource;
  /** The `frameworkFields` option it was made with: the Express / Fastify adapters read it. */
  readonly frameworkFields: boolean;
  /** Resolves address, protocol, host, port, chain and rate-limit key. */
  resolve(req: ResolvableRequest): ClientInfo;
  /** Resolves only the address: the fastest path, allocating nothing but the returned string. */
  ip(req: ResolvableRequest): string | undefined;
}

/** A provider's published ranges as kept in `data/<provider>.json`. */
export interface RangePreset {
  /** Preset name: `cloudflare`, `cloudfront`, `fastly`. */
  readonly provider: string;
  /** What the ranges are. */
  readonly description: string;
  /** Where the provider publishes them; `scripts/refresh-ranges.mjs` fetches these. */
  readonly sources: readonly string[];
  /** Day the snapshot was written, `YYYY-MM-DD`. */
  readonly snapshotDate: string;
  /** How the snapshot was made. */
  readonly snapshotNote: string;
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
}

/** Why {@link acceptProxyProtocol} closed a connection before HTTP saw it. */
export type ProxyProtocolRejectReason =
  | 'peer-not-allowed'
  | 'timeout'
  | 'invalid-header'
  | 'closed-before-header'
  | 'socket-error';

/** A connection {@link acceptProxyProtocol} closed, for logging and metrics. */
export interface ProxyProtocolRejection {
  readonly reason: ProxyProtocolRejectReason;
  /** Details of what was wrong, for logs. */
  readonly detail: string;
  /** The TCP peer that connected. */
  readonly remoteAddress: string | undefined;
}

/** Options of {@link acceptProxyProtocol}. */
export interface ProxyProtocolOptions {
  /** Addresses allowed to connect (the balancers). Required: anyone else could claim any address. */
  readonly peers: TrustEntry | readonly TrustEntry[];
  /** Bound on reading the header, from accept. Default 5000 ms. */
  readonly headerTimeoutMs?: number;
  /** Accepted versions. Default both `[1, 2]`. */
  readonly versions?: readonly (1 | 2)[];
  /** Called for every connection closed before HTTP saw it. */
  readonly onReject?: (rejection: ProxyProtocolRejection) => void;
}

/** Returned by {@link acceptProxyProtocol}. */
export interface ProxyProtocolHandle {
  /** Connections whose header is still being read. */
  readonly pending: number;
  /** Stops reading headers: restores the server's own connection listeners and closes pending connections. */
  close(): void;
}

/** An address and port from a PROXY protocol header. */
export interface ProxyProtocolEndpoint {
  /** Canonical text (IPv4-mapped IPv6 becomes IPv4). */
  readonly address: string;
  readonly port: number;
}

/** The SSL TLV (PP2_TYPE_SSL, 0x20) of a PROXY v2 header: how the client reached the balancer. */
export interface ProxyProtocolSsl {
  /** The client connected over SSL/TLS (PP2_CLIENT_SSL). */
  readonly client: boolean;
  /** The client sent a certificate on this connection (PP2_CLIENT_CERT_CONN). */
  readonly clientCertConnection: boolean;
  /** The client sent a certificate at least once in this session (PP2_CLIENT_CERT_SESS). */
  readonly clientCertSession: boolean;
  /** The certificate was verified (the verify field is 0). */
  readonly verified: boolean;
  /** PP2_SUBTYPE_SSL_VERSION, for example `TLSv1.3`. */
  readonly version?: string;
  /** PP2_SUBTYPE_SSL_CN: the client certificate's common name. */
  readonly commonName?: string;
  /** PP2_SUBTYPE_SSL_CIPHER. */
  readonly cipher?: string;
  /** PP2_SUBTYPE_SSL_SIG_ALG. */
  readonly signatureAlgorithm?: string;
  /** PP2_SUBTYPE_SSL_KEY_ALG. */
  readonly keyAlgorithm?: string;
}

/** One type-length-value entry of a PROXY v2 header, as received. */
export interface ProxyProtocolTlv {
  readonly type: number;
  readonly value: Buffer;
}

/** The TLVs of a PROXY v2 header that lbkit understands, plus all of them raw. */
export interface ProxyProtocolTlvs {
  /** PP2_TYPE_ALPN (0x01). */
  readonly alpn?: string;
  /** PP2_TYPE_AUTHORITY (0x02): the host name the client asked for (SNI). */
  readonly authority?: string;
  /** PP2_TYPE_CRC32C (0x03) was present and matched. */
  readonly crc32cVerified?: boolean;
  /** PP2_TYPE_UNIQUE_ID (0x05). */
  readonly uniqueId?: Buffer;
  /** PP2_TYPE_SSL (0x20). */
  readonly ssl?: ProxyProtocolSsl;
  /** PP2_TYPE_NETNS (0x30). */
  readonly netns?: string;
  /** AWS (0xEA) subtype 0x01: the VPC endpoint id the connection came through (NLB PrivateLink). */
  readonly awsVpceId?: string;
  /** Azure (0xEE) subtype 0x01: the private endpoint LINKID. */
  readonly azureLinkId?: number;
  /** Every TLV in order, including the ones above. */
  readonly raw: readonly ProxyProtocolTlv[];
}

/** What a PROXY protocol header said about one connection. */
export interface ProxyProtocolInfo {
  readonly version: 1 | 2;
  /** `local`: a health check or the balancer itself; the socket address stands. */
  readonly command: 'proxy' | 'local';
  /** `unknown` (v1 UNKNOWN, v2 UNSPEC) and `unix` keep the socket address. */
  readonly family: 'tcp4' | 'tcp6' | 'unix' | 'unknown';
  /** The client, for `proxy` over tcp4/tcp6. */
  readonly source: ProxyProtocolEndpoint | undefined;
  /** The address and port the client connected to on the balancer. */
  readonly destination: ProxyProtocolEndpoint | undefined;
  /** Parsed TLVs (v2; empty for v1). */
  readonly tlvs: ProxyProtocolTlvs;
}

/** Stable error codes of @lbkit/client-ip; each is listed in the README with its cause and fix. */
export type ClientIpErrorCode =
  | 'LBKIT_CLIENT_IP_OPTION_UNKNOWN'
  | 'LBKIT_CLIENT_IP_OPTION_INVALID'
  | 'LBKIT_CLIENT_IP_FACTORY_NOT_CALLED'
  | 'LBKIT_CLIENT_IP_TRUST_REQUIRED'
  | 'LBKIT_CLIENT_IP_TRUST_ALL_REFUSED'
  | 'LBKIT_CLIENT_IP_TRUST_INVALID'
  | 'LBKIT_CLIENT_IP_TRUST_FUNCTION_INVALID'
  | 'LBKIT_CLIENT_IP_HOPS_PEER_REQUIRED'
  | 'LBKIT_CLIENT_IP_HOPS_INVALID'
  | 'LBKIT_CLIENT_IP_HOPS_UNSUPPORTED'
  | 'LBKIT_CLIENT_IP_SOURCE_INVALID'
  | 'LBKIT_CLIENT_IP_PRESET_INVALID'
  | 'LBKIT_CLIENT_IP_PROXY_PROTOCOL_PEERS_REQUIRED'
  | 'LBKIT_CLIENT_IP_PROXY_PROTOCOL_INVALID'
  | 'LBKIT_CLIENT_IP_PROXY_PROTOCOL_ALREADY_WRAPPED';
