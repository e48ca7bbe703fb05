// `trustedNetworks` compiled by @lbkit/client-ip's address matcher, its errors given health's code.
import { compileAddressMatcher } from '@lbkit/client-ip';
import { isLbkitError, LbkitError } from '@lbkit/core';

/** True when a socket peer address lies in one of the trusted networks. */
export type NetworkMatcher = (address: string | undefined) => boolean;

/**
 * Compiles CIDRs, single addresses, the names `loopback`, `private`, `linklocal`, `uniquelocal` and
 * client-ip's range presets. Throws `LBKIT_HEALTH_NETWORK_INVALID` naming the entry that is not a
 * network, has host bits set, or covers every address (which would show the details to everyone).
 */
export function compileTrustedNetworks(entries: readonly unknown[]): NetworkMatcher {
  for (const entry of entries) {
    if (typeof entry !== 'string') throw invalid(entry, 'is not a string');
    compile([entry], entry);
  }
  return compile(entries as readonly string[], entries.join(', '));
}

function compile(entries: readonly string[], shown: string): NetworkMatcher {
  try {
    return compileAddressMatcher(entries, 'trustedNetworks');
  } catch (error) {
    if (!isLbkitError(error)) throw error;
    throw invalid(
      shown,
      // After every entry passed alone, a list can only fail by covering every address together.
      entries.length > 1 || /^trusting every\b/.test(error.message)
        ? `cover${entries.length > 1 ? '' : 's'} every address, which would show the detailed report to every caller`
        : reason(error.message),
      error,
    );
  }
}

/** client-ip's reason (`has host bits set`, `has a prefix length above 32`), without its wording about proxies. */
function reason(message: string): string {
  return /^trusted proxy "(?:[^"\\]|\\.)*" (.+?) \(LBKIT_/.exec(message)?.[1] ?? 'is not a network';
}

function invalid(entry: unknown, why: string, cause?: LbkitError): LbkitError {
  return new LbkitError(
    'LBKIT_HEALTH_NETWORK_INVALID',
    `trustedNetworks: ${typeof entry === 'string' ? JSON.stringify(entry) : String(entry)} ${why}`,
    {
      hint: 'Use CIDRs such as 10.0.0.0/8 or fd00::/8 (no host bits: 10.0.0.0/8, not 10.0.0.1/8), single addresses, or the names loopback, private, linklocal.',
      ...(cause ? { cause } : {}),
    },
  );
}
