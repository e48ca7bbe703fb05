// Compiles addresses, CIDRs and named ranges once into a function that tests one socket address.
import { INVALID, ParsedAddress, parseIp } from './ip.js';
import { compileTrust, inRanges } from './trust.js';

/**
 * Compiles `entries` (addresses, CIDRs such as `10.0.0.0/8` or `fd00::/8`, the named ranges
 * `loopback`, `linklocal`, `private`, `uniquelocal`, and range presets) with the same compiler as
 * `trust`, and returns a test for one address as `socket.remoteAddress` gives it (IPv4-mapped IPv6
 * read as IPv4, a zone id allowed). Throws the `trust` option's `LbkitError`s
 * (`LBKIT_CLIENT_IP_TRUST_INVALID`, `LBKIT_CLIENT_IP_TRUST_ALL_REFUSED` for `0.0.0.0/0` and the like).
 * The returned function allocates nothing per call (health's `trustedNetworks` use it per probe).
 */
export function compileAddressMatcher(
  entries: readonly string[],
  label = 'networks',
): (address: string | undefined) => boolean {
  const ranges = compileTrust([...entries], label, 'compileAddressMatcher()');
  const scratch = new ParsedAddress();
  return function matchesAddress(address: string | undefined): boolean {
    return (
      typeof address === 'string' &&
      parseIp(address, 0, address.length, scratch, true) !== INVALID &&
      inRanges(ranges, scratch)
    );
  };
}
