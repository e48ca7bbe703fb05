// Unknown, misspelled and mistyped options of createClientIpResolver() and acceptProxyProtocol() are refused at startup.
import { createServer, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { acceptProxyProtocol, createClientIpResolver } from '@lbkit/client-ip';
import { isLbkitError } from '@lbkit/core';
import { describe, expect, it } from 'vitest';

function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (!isLbkitError(error)) throw error;
    return { code: error.code, message: error.message };
  }
  throw new Error('expected an LbkitError, nothing was thrown');
}

describe('createClientIpResolver() refuses unknown options with the closest known name', () => {
  it.each([
    [{ trustProxy: 'loopback' }, 'trust'],
    [{ trustedProxies: ['10.0.0.0/8'] }, 'trust'],
    [{ trust: [], sourc: 'forwarded' }, 'source'],
    [{ trust: [], allowZoneID: true }, 'allowZoneId'],
    [{ trust: { peer: ['10.0.0.0/8'], hops: 2 } }, 'trust.peers'],
    [{ trust: { peers: ['10.0.0.0/8'], hop: 2 } }, 'trust.hops'],
    [{ trust: [], frameworkField: true }, 'frameworkFields'],
    [{ trust: [], frameworkfields: true }, 'frameworkFields'],
  ])('%o → %s', (options, suggested) => {
    const { code, message } = failure(() => createClientIpResolver(options as never));
    expect(code).toBe('LBKIT_CLIENT_IP_OPTION_UNKNOWN');
    expect(message).toContain(`did you mean "${suggested}"?`);
  });

  it('an option with no near name is refused with the list of known ones', () => {
    const { code, message } = failure(() => createClientIpResolver({ trust: [], banana: 1 } as never));
    expect(code).toBe('LBKIT_CLIENT_IP_OPTION_UNKNOWN');
    expect(message).not.toContain('did you mean');
    expect(message).toContain('trust, source, allowZoneId');
  });
});

describe('createClientIpResolver() refuses values of the wrong type', () => {
  it.each([
    ['options that are a string', 'loopback', 'LBKIT_CLIENT_IP_OPTION_INVALID'],
    ['allowZoneId as a string', { trust: [], allowZoneId: 'yes' }, 'LBKIT_CLIENT_IP_OPTION_INVALID'],
    ['frameworkFields as a string', { trust: [], frameworkFields: 'true' }, 'LBKIT_CLIENT_IP_OPTION_INVALID'],
    ['an async trust function', { trust: async () => true }, 'LBKIT_CLIENT_IP_TRUST_FUNCTION_INVALID'],
    ['source as a number', { trust: [], source: 42 }, 'LBKIT_CLIENT_IP_SOURCE_INVALID'],
    ['trust.hops as a string', { trust: { peers: 'loopback', hops: '2' } }, 'LBKIT_CLIENT_IP_HOPS_INVALID'],
    ['trust.peers as a number', { trust: { peers: 10, hops: 2 } }, 'LBKIT_CLIENT_IP_TRUST_INVALID'],
  ])('%s', (_name, options, expected) => {
    expect(failure(() => createClientIpResolver(options as never)).code).toBe(expected);
  });

  it('a request where the options belong is reported as a factory mounted uncalled', () => {
    const request = new IncomingMessage(new Socket());
    request.method = 'GET';
    request.url = '/';
    expect(failure(() => createClientIpResolver(request as never)).code).toBe(
      'LBKIT_CLIENT_IP_FACTORY_NOT_CALLED',
    );
  });
});

describe('acceptProxyProtocol() refuses unknown and mistyped options before touching the server', () => {
  it.each([
    [{ peer: ['10.0.0.0/8'] }, 'peers'],
    [{ peers: 'loopback', headerTimeout: 1000 }, 'headerTimeoutMs'],
    [{ peers: 'loopback', version: [2] }, 'versions'],
    [{ peers: 'loopback', onRejected: () => {} }, 'onReject'],
  ])('%o → %s', (options, suggested) => {
    const server = createServer();
    const before = server.listeners('connection');
    const { code, message } = failure(() => acceptProxyProtocol(server, options as never));
    expect(code).toBe('LBKIT_CLIENT_IP_OPTION_UNKNOWN');
    expect(message).toContain(`did you mean "${suggested}"?`);
    expect(server.listeners('connection')).toEqual(before);
    // Refused before wrapping, so a corrected call still succeeds.
    acceptProxyProtocol(server, { peers: 'loopback' }).close();
  });

  it.each([
    ['headerTimeoutMs as a string', { peers: 'loopback', headerTimeoutMs: '5000' }],
    ['versions as a number', { peers: 'loopback', versions: 2 }],
    ['onReject that is not a function', { peers: 'loopback', onReject: 'log' }],
  ])('%s', (_name, options) => {
    expect(failure(() => acceptProxyProtocol(createServer(), options as never)).code).toBe(
      'LBKIT_CLIENT_IP_PROXY_PROTOCOL_INVALID',
    );
  });
});
