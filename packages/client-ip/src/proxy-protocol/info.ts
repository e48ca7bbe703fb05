// Where a PROXY protocol header's result lives: on the socket it arrived on, found again from a request.
import type { ProxyProtocolInfo } from '../types.js';

// Symbol.for: two copies of the package in one process still see each other's results.
const kInfo = Symbol.for('@lbkit/client-ip.proxyProtocolInfo');

interface Carrier {
  [kInfo]?: ProxyProtocolInfo;
  // node:tls keeps the TCP socket a TLSSocket wraps in `_parent` (stable since Node 0.11, undocumented).
  _parent?: Carrier | null;
}

/** Records what the header said for `socket`. */
export function setProxyProtocolInfo(socket: object, info: ProxyProtocolInfo): void {
  (socket as Carrier)[kInfo] = info;
}

/**
 * What the PROXY protocol header of a connection said, given its socket (TCP or the TLS socket on
 * top of it) or a request on it; undefined when the connection did not come through
 * {@link acceptProxyProtocol}.
 */
export function proxyProtocolInfo(socketOrRequest: object | null | undefined): ProxyProtocolInfo | undefined {
  if (!socketOrRequest) return undefined;
  let carrier = socketOrRequest as Carrier & { socket?: Carrier };
  if (!(kInfo in carrier) && carrier.socket && typeof carrier.socket === 'object') carrier = carrier.socket;
  return carrier[kInfo] ?? carrier._parent?.[kInfo];
}
