// A trust function is called as proxy-addr calls it: right to left, once per hop, with the hop index, and only `true` trusts.
import { createServer } from 'node:http';
import { acceptProxyProtocol, createClientIpResolver, type TrustFunction } from '@lbkit/client-ip';
import { isLbkitError } from '@lbkit/core';
import proxyaddr from 'proxy-addr';
import { describe, expect, it } from 'vitest';
import { fakeRequest } from './helpers.js';

/** A trust function that records its calls and trusts what `decide` says. */
function recording(decide: (address: string, hop: number) => boolean) {
  const calls: [string, number][] = [];
  const fn: TrustFunction = (address, hop) => {
    calls.push([address, hop]);
    return decide(address, hop);
  };
  return { fn, calls };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isLbkitError(error) ? error.code : String(error);
  }
  return undefined;
}

describe('trust as a function', () => {
  it('is asked about the peer at 0, then each address right to left, never about the leftmost, as proxy-addr asks', () => {
    const req = fakeRequest('10.0.0.1', { 'x-forwarded-for': '198.51.100.1, 10.0.0.3, 10.0.0.2' });
    const lbkit = recording(() => true);
    const reference = recording(() => true);
    expect(createClientIpResolver({ trust: lbkit.fn }).ip(req)).toBe('198.51.100.1');
    expect(proxyaddr(req as never, reference.fn)).toBe('198.51.100.1');
    expect(lbkit.calls).toEqual([
      ['10.0.0.1', 0],
      ['10.0.0.2', 1],
      ['10.0.0.3', 2],
    ]);
    expect(lbkit.calls).toEqual(reference.calls);
  });

  it('stops at the first false: that address is the client, nothing left of it is asked about', () => {
    const req = fakeRequest('10.0.0.1', { 'x-forwarded-for': '6.6.6.6, 198.51.100.1, 10.0.0.2' });
    const { fn, calls } = recording((address) => address.startsWith('10.'));
    const info = createClientIpResolver({ trust: fn }).resolve(req);
    expect(info.ip).toBe('198.51.100.1');
    expect(info.chain).toEqual(['10.0.0.1', '10.0.0.2', '198.51.100.1']);
    expect(calls).toEqual([
      ['10.0.0.1', 0],
      ['10.0.0.2', 1],
      ['198.51.100.1', 2],
    ]);
  });

  it('an untrusted peer ends the walk at once: no header is read', () => {
    const req = fakeRequest('203.0.113.9', { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' });
    const { fn, calls } = recording(() => false);
    expect(createClientIpResolver({ trust: fn }).resolve(req)).toMatchObject({
      ip: '203.0.113.9',
      proto: 'http',
      source: 'socket',
    });
    expect(calls).toEqual([['203.0.113.9', 0]]);
  });

  it('is not called when nothing was forwarded (proxy-addr does not call it either)', () => {
    const { fn, calls } = recording(() => true);
    const resolver = createClientIpResolver({ trust: fn });
    expect(resolver.ip(fakeRequest('10.0.0.1'))).toBe('10.0.0.1');
    expect(resolver.ip(fakeRequest('10.0.0.1', { 'x-forwarded-for': ' , ' }))).toBe('10.0.0.1');
    expect(calls).toEqual([]);
  });

  it('receives canonical text: IPv4-mapped as IPv4, IPv6 per RFC 5952, ports and brackets gone', () => {
    const req = fakeRequest('::ffff:10.0.0.1', {
      'x-forwarded-for': '198.51.100.1, [2001:DB8:0:0::1]:443, 10.0.0.2:8080',
    });
    const { fn, calls } = recording(() => true);
    expect(createClientIpResolver({ trust: fn }).ip(req)).toBe('198.51.100.1');
    expect(calls).toEqual([
      ['10.0.0.1', 0],
      ['10.0.0.2', 1],
      ['2001:db8::1', 2],
    ]);
  });

  it('a malformed entry ends the walk before the function sees it; the answer is the last trusted hop', () => {
    const req = fakeRequest('10.0.0.1', { 'x-forwarded-for': '6.6.6.6, not-an-ip, 10.0.0.2' });
    const { fn, calls } = recording(() => true);
    expect(createClientIpResolver({ trust: fn }).ip(req)).toBe('10.0.0.2');
    expect(calls.map(([address]) => address)).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('only true trusts: a truthy non-boolean (1, a string, a Promise) does not', () => {
    const req = fakeRequest('10.0.0.1', { 'x-forwarded-for': '198.51.100.1' });
    for (const answer of [1, 'yes', Promise.resolve(true), {}]) {
      const fn = (() => answer) as unknown as TrustFunction;
      expect(createClientIpResolver({ trust: fn }).ip(req)).toBe('10.0.0.1');
    }
  });

  it('is called the same way for Forwarded, a single header and the X-Forwarded-Proto of the same hop', () => {
    const forwarded = recording(() => true);
    const info = createClientIpResolver({ trust: forwarded.fn, source: 'forwarded' }).resolve(
      fakeRequest('10.0.0.1', { forwarded: 'for=198.51.100.1;proto=https, for=10.0.0.2' }),
    );
    expect(info).toMatchObject({ ip: '198.51.100.1', proto: 'https' });
    expect(forwarded.calls).toEqual([
      ['10.0.0.1', 0],
      ['10.0.0.2', 1],
    ]);
    const header = recording((address) => address === '10.0.0.1');
    const resolver = createClientIpResolver({ trust: header.fn, source: 'cf-connecting-ip' });
    expect(resolver.ip(fakeRequest('10.0.0.1', { 'cf-connecting-ip': '198.51.100.1' }))).toBe('198.51.100.1');
    expect(resolver.ip(fakeRequest('10.0.0.9', { 'cf-connecting-ip': '198.51.100.1' }))).toBe('10.0.0.9');
    expect(resolver.ip(fakeRequest('10.0.0.1'))).toBe('10.0.0.1');
    expect(header.calls).toEqual([
      ['10.0.0.1', 0],
      ['10.0.0.9', 0],
    ]);
  });

  it('costs one call per hop: a chain of 5,000 trusted hops makes 5,000 calls, not more', () => {
    const hops = Array.from({ length: 5000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`);
    const req = fakeRequest('10.0.0.1', { 'x-forwarded-for': hops.join(', ') });
    let calls = 0;
    const info = createClientIpResolver({
      trust: () => {
        calls++;
        return true;
      },
    }).resolve(req);
    expect(info.ip).toBe(hops[0]);
    expect(info.chain).toHaveLength(5001);
    expect(calls).toBe(5000);
  });

  it('an exception it throws reaches the caller', () => {
    const resolver = createClientIpResolver({
      trust: () => {
        throw new Error('trust store unavailable');
      },
    });
    expect(() => resolver.ip(fakeRequest('10.0.0.1', { 'x-forwarded-for': '198.51.100.1' }))).toThrow(
      'trust store unavailable',
    );
  });

  it('an async function is refused at startup with LBKIT_CLIENT_IP_TRUST_FUNCTION_INVALID', () => {
    const fn = (async () => true) as unknown as TrustFunction;
    expect(codeOf(() => createClientIpResolver({ trust: fn }))).toBe(
      'LBKIT_CLIENT_IP_TRUST_FUNCTION_INVALID',
    );
  });

  it('is not accepted as acceptProxyProtocol peers, which must be addresses the socket is checked against', () => {
    const fn = (() => true) as unknown as string;
    expect(codeOf(() => acceptProxyProtocol(createServer(), { peers: fn }))).toBe(
      'LBKIT_CLIENT_IP_TRUST_INVALID',
    );
  });
});
