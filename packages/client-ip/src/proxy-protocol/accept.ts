// Puts a PROXY protocol reader in front of a net/http/https server: the header is read before the server sees a byte.
import type { Server, Socket } from 'node:net';
import { LbkitError } from '@lbkit/core';
import { OptionReader, show } from '@lbkit/core/internal';
import { INVALID, ParsedAddress, parseIp } from '../ip.js';
import { compileTrust, inRanges } from '../trust.js';
import type {
  ProxyProtocolHandle,
  ProxyProtocolOptions,
  ProxyProtocolRejection,
  ProxyProtocolRejectReason,
} from '../types.js';
import { setProxyProtocolInfo } from './info.js';
import { parseProxyProtocol } from './parse.js';

const DEFAULT_HEADER_TIMEOUT_MS = 5000;
const kWrapped = Symbol.for('@lbkit/client-ip.proxyProtocolWrapped');

type ConnectionListener = (socket: Socket) => void;

// `satisfies` makes the compiler check this list against ProxyProtocolOptions, both ways.
const KNOWN = Object.keys({
  peers: true,
  headerTimeoutMs: true,
  versions: true,
  onReject: true,
} satisfies Record<keyof ProxyProtocolOptions, true>);
const OWNER = 'acceptProxyProtocol()';

function checkOptions(given: ProxyProtocolOptions | undefined): {
  timeoutMs: number;
  versions: readonly (1 | 2)[];
  onReject: ((rejection: ProxyProtocolRejection) => void) | undefined;
} {
  // Unknown keys first, so `{ peer: [...] }` names `peers` rather than saying peers are missing.
  const options = new OptionReader<ProxyProtocolOptions>('CLIENT_IP', OWNER, given, KNOWN);
  if (options.get('peers') === undefined) {
    throw new LbkitError(
      'LBKIT_CLIENT_IP_PROXY_PROTOCOL_PEERS_REQUIRED',
      'acceptProxyProtocol needs the balancer addresses in peers',
      {
        hint: "Anyone who can connect could otherwise claim any client address: acceptProxyProtocol(server, { peers: ['10.0.0.0/8'] }).",
      },
    );
  }
  const timeoutMs: unknown = options.get('headerTimeoutMs') ?? DEFAULT_HEADER_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > 600_000) {
    throw options.invalid(
      `headerTimeoutMs must be a number of milliseconds from 1 to 600000, got ${show(timeoutMs)}`,
      'Balancers send the header at once; a few seconds (the default 5000) is plenty.',
      'LBKIT_CLIENT_IP_PROXY_PROTOCOL_INVALID',
    );
  }
  const versions: unknown = options.get('versions') ?? [1, 2];
  if (!Array.isArray(versions) || versions.length === 0 || versions.some((v) => v !== 1 && v !== 2)) {
    throw options.invalid(
      `versions must be a non-empty list of 1 and/or 2, got ${show(versions)}`,
      'Leave it out to accept both; AWS NLB and HAProxy send-proxy-v2 use 2.',
      'LBKIT_CLIENT_IP_PROXY_PROTOCOL_INVALID',
    );
  }
  const onReject: unknown = options.get('onReject');
  if (onReject !== undefined && typeof onReject !== 'function') {
    throw options.invalid(
      `onReject must be a function, got ${show(onReject)}`,
      'Pass (rejection) => log.warn(rejection), or leave it out.',
      'LBKIT_CLIENT_IP_PROXY_PROTOCOL_INVALID',
    );
  }
  return {
    timeoutMs,
    versions: versions as (1 | 2)[],
    onReject: onReject as ((rejection: ProxyProtocolRejection) => void) | undefined,
  };
}

/**
 * Makes `server` (net.Server, http.Server or https.Server, listening or not) accept only connections
 * that start with a PROXY protocol v1/v2 header from an allowed peer. The server's own `connection`
 * listeners (the HTTP parser, the TLS handshake) are moved behind the header reader: they get the
 * socket once the header is consumed, with any bytes that came with it put back, so keep-alive,
 * pipelining and TLS behave as without the header. Listeners added later see sockets at accept time.
 *
 * Strict: a connection from another peer, without a valid header, or slower than `headerTimeoutMs`
 * is destroyed (and reported to `onReject`). Only the first header counts; what follows is the
 * application's. The result is read with {@link proxyProtocolInfo} and by the resolver's
 * `proxy-protocol` source.
 */
export function acceptProxyProtocol(server: Server, options: ProxyProtocolOptions): ProxyProtocolHandle {
  const { timeoutMs, versions, onReject } = checkOptions(options);
  const peers = compileTrust(options.peers, 'peers', OWNER);
  const carrier = server as Server & { [kWrapped]?: boolean };
  if (carrier[kWrapped]) {
    throw new LbkitError(
      'LBKIT_CLIENT_IP_PROXY_PROTOCOL_ALREADY_WRAPPED',
      'acceptProxyProtocol was already called on this server',
      {
        hint: 'Call it once per server; close() the first handle before wrapping again.',
      },
    );
  }
  carrier[kWrapped] = true;
  const downstream = server.listeners('connection') as ConnectionListener[];
  server.removeAllListeners('connection');
  const pending = new Set<Socket>();
  const peer = new ParsedAddress();

  const reject = (socket: Socket, reason: ProxyProtocolRejectReason, detail: string): void => {
    socket.destroy();
    if (onReject) {
      const rejection: ProxyProtocolRejection = { reason, detail, remoteAddress: socket.remoteAddress };
      onReject(rejection);
    }
  };

  const onConnection = (socket: Socket): void => {
    const remote = socket.remoteAddress;
    if (
      typeof remote !== 'string' ||
      parseIp(remote, 0, remote.length, peer, true) === INVALID ||
      !inRanges(peers, peer)
    ) {
      reject(socket, 'peer-not-allowed', `${remote ?? 'a peer without an IP address'} is not in peers`);
      return;
    }
    pending.add(socket);
    let chunks: Buffer[] = [];
    let size = 0;
    let needed = 1;
    let settled = false;
    const timer = setTimeout(() => settle('timeout', `no complete header within ${timeoutMs} ms`), timeoutMs);
    timer.unref();

    function cleanup(): void {
      settled = true;
      clearTimeout(timer);
      pending.delete(socket);
      socket.off('readable', onReadable);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('end', onClose);
    }
    function settle(reason: ProxyProtocolRejectReason, detail: string): void {
      if (settled) return;
      cleanup();
      reject(socket, reason, detail);
    }
    function onError(error: Error): void {
      settle('socket-error', error.message);
    }
    function onClose(): void {
      settle('closed-before-header', 'the connection closed before a complete header');
    }
    function onReadable(): void {
      for (;;) {
        if (settled) return;
        const chunk = socket.read() as Buffer | null;
        if (chunk === null) return;
        chunks.push(chunk);
        size += chunk.length;
        if (size < needed) continue;
        const received = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
        chunks = [received];
        const parsed = parseProxyProtocol(received, versions);
        if (parsed.status === 'incomplete') {
          // Once a v2 prefix is in, wait for its whole length instead of re-parsing every small chunk.
          needed = size >= 16 && received[0] === 0x0d ? 16 + received.readUInt16BE(14) : size + 1;
          continue;
        }
        if (parsed.status === 'invalid') {
          settle('invalid-header', parsed.detail);
          return;
        }
        cleanup();
        setProxyProtocolInfo(socket, parsed.info);
        const rest = received.subarray(parsed.length);
        // unshift puts the application's first bytes back ahead of anything still to arrive; the
        // stream leaves paused mode on the next tick, once the HTTP/TLS listener has added 'data'.
        if (rest.length > 0) socket.unshift(rest);
        for (const listener of downstream) listener.call(server, socket);
        return;
      }
    }
    socket.on('error', onError);
    socket.on('close', onClose);
    // http.Server allows half-open sockets, so a peer's FIN arrives as 'end' without a 'close'.
    socket.on('end', onClose);
    socket.on('readable', onReadable);
  };

  server.on('connection', onConnection);
  return {
    get pending() {
      return pending.size;
    },
    close() {
      if (!carrier[kWrapped]) return;
      server.off('connection', onConnection);
      for (const listener of downstream) server.on('connection', listener);
      for (const socket of pending) socket.destroy();
      pending.clear();
      carrier[kWrapped] = false;
    },
  };
}
