// Validates resolver options once at startup: the source, the trust rule and the known keys.
import { LbkitError } from '@lbkit/core';
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
}

const KEYS = new Set(['trust', 'source', 'allowZoneId']);
// Headers that carry no client address: reading an IP from them would be a configuration mistake.
const NOT_ADDRESS_HEADERS = new Set(['host', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

function optionsInvalid(message: string, hint: string): LbkitError {
  return new LbkitError('LBKIT_CLIENT_IP_OPTION_INVALID', message, { hint });
}

/** Checks `options` and compiles the trust rule; throws `LbkitError` with a hint on any mistake. */
export function resolveOptions(options: ClientIpOptions | undefined): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new LbkitError('LBKIT_CLIENT_IP_TRUST_REQUIRED', 'client-ip options are required', {
      hint: "Pass at least the trusted proxies: { trust: 'loopback' } for a local nginx, or { trust: [] } for none.",
    });
  }
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) {
      throw optionsInvalid(
        `unknown client-ip option ${JSON.stringify(key)}`,
        `Known options are ${[...KEYS].join(', ')}${key === 'trustProxy' || key === 'trustedProxies' ? ' (use trust)' : ''}.`,
      );
    }
  }
  if (options.allowZoneId !== undefined && typeof options.allowZoneId !== 'boolean') {
    throw optionsInvalid(
      'allowZoneId must be a boolean',
      'Leave it out unless link-local clients reach the app.',
    );
  }
  const raw = options.source ?? 'x-forwarded-for';
  const source = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (!TOKEN.test(source)) {
    throw new LbkitError('LBKIT_CLIENT_IP_SOURCE_INVALID', `source ${JSON.stringify(raw)} is not a header name`, {
      hint: "Use 'x-forwarded-for', 'forwarded', 'proxy-protocol' or the one header your CDN sets, such as 'cf-connecting-ip'.",
    });
  }
  if (NOT_ADDRESS_HEADERS.has(source)) {
    throw new LbkitError(
      'LBKIT_CLIENT_IP_SOURCE_INVALID',
      `source ${JSON.stringify(raw)} does not carry a client address`,
      {
        hint: "Use 'x-forwarded-for', 'forwarded', 'proxy-protocol' or a header such as 'x-real-ip'.",
      },
    );
  }
  const kind: SourceKind =
    source === 'x-forwarded-for' || source === 'forwarded' || source === 'proxy-protocol' ? source : 'header';
  const trust = compileTrust(options.trust);
  if (trust.hops > 0 && (kind === 'header' || kind === 'proxy-protocol')) {
    throw new LbkitError(
      'LBKIT_CLIENT_IP_HOPS_UNSUPPORTED',
      `trust.hops has no meaning with source ${JSON.stringify(source)}`,
      {
        hint: 'That source carries one address set by the peer; trust the peer with a list instead: { trust: [...peers] }.',
      },
    );
  }
  return { trust, source, kind, header: source, allowZoneId: options.allowZoneId === true };
}
