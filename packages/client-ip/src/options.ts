// Validates resolver options once at startup: the source, the trust rule and the known keys.
import { LbkitError } from '@lbkit/core';
import { OptionReader, show } from '@lbkit/core/internal';
import { type CompiledTrust, compileTrust } from './trust.js';
import type { ClientIpOptions, ClientIpSource } from './types.js';

/** How the resolver reads a request, decided at startup. */
export type SourceKind = 'x-forwarded-for' | 'forwarded' | 'proxy-protocol' | 'header';

/** Options after validation. */
export interface ResolvedOptions {
  readonly trust: CompiledTrust;
  readonly source: ClientIpSource;
  readonly kind: SourceKind;
  /** Lower-case header name for the `header` kind. */
  readonly header: string;
  readonly allowZoneId: boolean;
  readonly frameworkFields: boolean;
}

// `satisfies` makes the compiler check this list against ClientIpOptions, both ways.
const KNOWN = Object.keys({
  trust: true,
  source: true,
  allowZoneId: true,
  frameworkFields: true,
} satisfies Record<keyof ClientIpOptions, true>);
// Headers that carry no client address: reading an IP from them would be a configuration mistake.
const NOT_ADDRESS_HEADERS = new Set(['host', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const OWNER = 'createClientIpResolver()';

/** Checks `options` and compiles the trust rule; throws `LbkitError` with a hint on any mistake. */
export function resolveOptions(given: ClientIpOptions | undefined): ResolvedOptions {
  if (given === undefined || given === null) {
    throw new LbkitError('LBKIT_CLIENT_IP_TRUST_REQUIRED', 'client-ip options are required', {
      hint: "Pass at least the trusted proxies: { trust: 'loopback' } for a local nginx, or { trust: [] } for none.",
    });
  }
  // Unknown keys (trustProxy, trustedProxies, …) are refused with the closest name: `trust`.
  const options = new OptionReader<ClientIpOptions>('CLIENT_IP', OWNER, given, KNOWN);
  const allowZoneId = options.boolean('allowZoneId', false);
  const frameworkFields = options.boolean('frameworkFields', false);
  const raw: unknown = options.get('source') ?? 'x-forwarded-for';
  const source = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (!TOKEN.test(source)) {
    throw options.invalid(
      `source ${show(raw)} is not a header name`,
      "Use 'x-forwarded-for', 'forwarded', 'proxy-protocol' or the one header your CDN sets, such as 'cf-connecting-ip'.",
      'LBKIT_CLIENT_IP_SOURCE_INVALID',
    );
  }
  if (NOT_ADDRESS_HEADERS.has(source)) {
    throw options.invalid(
      `source ${show(raw)} does not carry a client address`,
      "Use 'x-forwarded-for', 'forwarded', 'proxy-protocol' or a header such as 'x-real-ip'.",
      'LBKIT_CLIENT_IP_SOURCE_INVALID',
    );
  }
  const kind: SourceKind =
    source === 'x-forwarded-for' || source === 'forwarded' || source === 'proxy-protocol' ? source : 'header';
  const trust = compileTrust(options.get('trust'), 'trust', OWNER, true);
  if (trust.hops > 0 && (kind === 'header' || kind === 'proxy-protocol')) {
    throw options.invalid(
      `trust.hops has no meaning with source ${JSON.stringify(source)}`,
      'That source carries one address set by the peer; trust the peer with a list instead: { trust: [...peers] }.',
      'LBKIT_CLIENT_IP_HOPS_UNSUPPORTED',
    );
  }
  return { trust, source, kind, header: source, allowZoneId, frameworkFields };
}
