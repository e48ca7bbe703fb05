// Public entry of @lbkit/client-ip: re-exports only.

export { compileAddressMatcher } from './address-matcher.js';
export { PRESET_NAMES, rangePreset } from './presets.js';
export { acceptProxyProtocol } from './proxy-protocol/accept.js';
export { proxyProtocolInfo } from './proxy-protocol/info.js';
export { parseProxyProtocol } from './proxy-protocol/parse.js';
export { createClientIpResolver, isClientIpResolver } from './resolver.js';
export type {
  ClientInfo,
  ClientIpErrorCode,
  ClientIpOptions,
  ClientIpResolver,
  ClientIpSource,
  ProxyProtocolEndpoint,
  ProxyProtocolHandle,
  ProxyProtocolInfo,
  ProxyProtocolOptions,
  ProxyProtocolRejection,
  ProxyProtocolRejectReason,
  ProxyProtocolSsl,
  ProxyProtocolTlv,
  ProxyProtocolTlvs,
  RangePreset,
  ResolvableRequest,
  TrustEntry,
  TrustFunction,
  TrustHops,
  TrustOption,
} from './types.js';
