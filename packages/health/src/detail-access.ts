// Compiles who may see the detailed report (trusted networks, a token header, a custom rule) into one function.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { compileTrustedNetworks } from './trusted-networks.js';

/** Decides per request whether the detailed report may be shown. */
export type DetailAccess = (req: IncomingMessage) => boolean;

/** What {@link compileDetailAccess} needs, already validated. */
export interface DetailAccessRules {
  readonly trustedNetworks: readonly string[] | undefined;
  readonly token: string | undefined;
  /** Lower-case header name. */
  readonly tokenHeader: string;
  readonly allowDetails: ((req: IncomingMessage) => boolean) | undefined;
}

const NOBODY: DetailAccess = () => false;

/** Builds the access function once, so the per-request path only compares. */
export function compileDetailAccess(rules: DetailAccessRules): DetailAccess {
  const networks =
    rules.trustedNetworks && rules.trustedNetworks.length > 0
      ? compileTrustedNetworks(rules.trustedNetworks)
      : undefined;
  const tokenMatches = rules.token === undefined ? undefined : compileToken(rules.token);
  const header = rules.tokenHeader;
  const custom = rules.allowDetails;
  if (!networks && !tokenMatches && !custom) return NOBODY;

  return function allowsDetails(req: IncomingMessage): boolean {
    // The socket peer, never a forwarded header: a public caller cannot claim to be trusted.
    if (networks?.(req.socket?.remoteAddress)) return true;
    if (tokenMatches) {
      const presented = req.headers[header];
      if (typeof presented === 'string' && tokenMatches(presented)) return true;
    }
    if (custom) {
      try {
        return custom(req) === true;
      } catch {
        return false;
      }
    }
    return false;
  };
}

/** Compares digests so that neither the content nor the length of the token leaks through timing. */
function compileToken(token: string): (presented: string) => boolean {
  const expected = sha256(token);
  return (presented) => timingSafeEqual(sha256(presented), expected);
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
