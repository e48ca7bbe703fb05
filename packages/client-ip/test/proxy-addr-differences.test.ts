// Each behaviour difference the README's migration section states, shown next to Express's trust proxy (proxy-addr).
import { createClientIpResolver, type TrustOption } from '@lbkit/client-ip';
import { isLbkitError } from '@lbkit/core';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { fakeRequest } from './helpers.js';

/** Express's view of `raw` under `setting`, from the app's own request prototype. */
function expressView(setting: unknown, raw: ReturnType<typeof fakeRequest>): express.Request {
  const app = express();
  app.set('trust proxy', setting);
  return Object.assign(Object.create(app.request), {
    headers: raw.headers,
    socket: raw.socket,
    connection: raw.socket,
  }) as express.Request;
}

function codeOf(trust: unknown): string | undefined {
  try {
    createClientIpResolver({ trust: trust as TrustOption });
  } catch (error) {
    return isLbkitError(error) ? error.code : String(error);
  }
  return undefined;
}

describe('where lbkit differs from proxy-addr, as the README says', () => {
  it('addresses are canonical: an IPv4-mapped socket peer is IPv4, IPv6 is RFC 5952', () => {
    const raw = fakeRequest('::ffff:10.0.0.1', { 'x-forwarded-for': '2001:DB8:0::1' });
    expect(expressView('10.0.0.0/8', raw).ip).toBe('2001:DB8:0::1');
    expect(createClientIpResolver({ trust: '10.0.0.0/8' }).resolve(raw).chain).toEqual([
      '10.0.0.1',
      '2001:db8::1',
    ]);
    const direct = fakeRequest('::ffff:198.51.100.7');
    expect(expressView([], direct).ip).toBe('::ffff:198.51.100.7');
    expect(createClientIpResolver({ trust: [] }).ip(direct)).toBe('198.51.100.7');
  });

  it('ports are read, not returned', () => {
    const raw = fakeRequest('10.0.0.1', { 'x-forwarded-for': '198.51.100.7:4711, [2001:db8::1]:443' });
    expect(expressView('10.0.0.0/8', raw).ip).toBe('[2001:db8::1]:443');
    expect(createClientIpResolver({ trust: '10.0.0.0/8' }).ip(raw)).toBe('2001:db8::1');
  });

  it.each(['unknown', '_hidden', '0x7f.1', '2130706433', '0.0.0.0'])(
    'garbage (%s) stops the walk: the last trusted hop, not the text',
    (garbage) => {
      const raw = fakeRequest('10.0.0.1', { 'x-forwarded-for': `6.6.6.6, ${garbage}, 10.0.0.2` });
      expect(expressView('10.0.0.0/8', raw).ip).toBe(garbage);
      expect(createClientIpResolver({ trust: '10.0.0.0/8' }).ip(raw)).toBe('10.0.0.2');
    },
  );

  it('protocol and host come from the client hop: not read when no address was forwarded', () => {
    const raw = fakeRequest('10.0.0.1', {
      host: 'origin.internal',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.example',
    });
    const req = expressView('10.0.0.0/8', raw);
    expect([req.protocol, req.hostname]).toEqual(['https', 'evil.example']);
    const info = createClientIpResolver({ trust: '10.0.0.0/8' }).resolve(raw);
    expect([info.proto, info.host]).toEqual(['http', 'origin.internal']);
  });

  it('a protocol list is read at the client hop position, not its first value', () => {
    const raw = fakeRequest('10.0.0.1', {
      'x-forwarded-for': '198.51.100.7, 10.0.0.2',
      'x-forwarded-proto': 'http, https',
    });
    expect(expressView('10.0.0.0/8', raw).protocol).toBe('http');
    expect(createClientIpResolver({ trust: '10.0.0.0/8' }).resolve(raw).proto).toBe('http');
    const shorter = fakeRequest('10.0.0.1', {
      'x-forwarded-for': '198.51.100.7, 10.0.0.2, 10.0.0.3',
      'x-forwarded-proto': 'https, http',
    });
    expect(expressView('10.0.0.0/8', shorter).protocol).toBe('https');
    expect(createClientIpResolver({ trust: '10.0.0.0/8' }).resolve(shorter).proto).toBe('http');
  });

  it.each([
    [true, 'LBKIT_CLIENT_IP_TRUST_ALL_REFUSED'],
    [2, 'LBKIT_CLIENT_IP_HOPS_PEER_REQUIRED'],
    ['10.0.0.0/255.0.0.0', 'LBKIT_CLIENT_IP_TRUST_INVALID'],
    ['127.0.0.1/8', 'LBKIT_CLIENT_IP_TRUST_INVALID'],
    [['0.0.0.0/1', '128.0.0.0/1'], 'LBKIT_CLIENT_IP_TRUST_ALL_REFUSED'],
    [['::/1', '8000::/1'], 'LBKIT_CLIENT_IP_TRUST_ALL_REFUSED'],
    [async () => true, 'LBKIT_CLIENT_IP_TRUST_FUNCTION_INVALID'],
  ])('Express takes trust proxy %o; lbkit refuses it at startup with %s', (setting, code) => {
    expect(() => expressView(setting, fakeRequest('10.0.0.1'))).not.toThrow();
    expect(codeOf(setting)).toBe(code);
  });
});
