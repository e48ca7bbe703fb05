// Who may read the demo's detailed health report: callers on this host, as the resolved client address says.
import type { IncomingMessage } from 'node:http';
import { createClientIpResolver } from '@lbkit/client-ip';
import type { DemoConfig } from './config.js';

/**
 * True for a caller whose resolved client address is this host's own (127.0.0.1 or ::1). Judged on the address
 * @lbkit/client-ip resolves with the demo's own trust settings, not on the socket peer: a balancer
 * on the same host forwards public traffic from 127.0.0.1 too, and its requests must not see
 * dependency details. A direct `curl` on the host (no forwarding header) still does.
 */
export function localCallersOnly(config: DemoConfig): (req: IncomingMessage) => boolean {
  const resolver = createClientIpResolver({ trust: config.trust, source: config.ipSource });
  return function localCaller(req) {
    const ip = resolver.ip(req);
    // The resolver returns canonical addresses (IPv4-mapped IPv6 as IPv4), so equality suffices.
    return ip === '127.0.0.1' || ip === '::1';
  };
}
