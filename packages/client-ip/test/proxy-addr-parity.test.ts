// The migration table, checked: each Express `trust proxy` / proxy-addr setting and its lbkit equivalent agree on generated chains.
import { type ClientInfo, createClientIpResolver, type TrustOption } from '@lbkit/client-ip';
import express from 'express';
import express4 from 'express4';
import fc from 'fast-check';
import proxyaddr from 'proxy-addr';
import { describe, expect, it } from 'vitest';
import { fakeRequest } from './helpers.js';

const PROXIES = ['10.0.0.1', '10.1.2.3', '127.0.0.1', '192.168.1.10', '172.16.5.4', '169.254.0.7'];
const PROXIES_V6 = ['fd00::5', '::1', 'fe80::1', '2001:db8::7'];
const CLIENTS = ['198.51.100.7', '203.0.113.9', '8.8.8.8', '2001:db8:ffff::1', '2a00:1450::200e'];
const MAPPED = ['::ffff:10.0.0.1', '::ffff:198.51.100.7'];
const ADDRESSES = [...PROXIES, ...PROXIES_V6, ...CLIENTS, ...MAPPED];
// Entries both accept, with the same meaning (proxy-addr's named ranges included).
const ENTRIES = [
  '10.0.0.0/8',
  '127.0.0.1',
  '192.168.0.0/16',
  '172.16.0.0/12',
  'loopback',
  'linklocal',
  'uniquelocal',
  'fd00::/8',
  '2001:db8::/32',
  '::ffff:10.0.0.0/104',
  '198.51.100.7',
  '::1',
];

/** The text lbkit returns for an address proxy-addr returns as written: IPv4-mapped IPv6 becomes IPv4. */
const canonical = (address: string | undefined): string | undefined =>
  address?.startsWith('::ffff:') ? address.slice(7) : address;

/** Express's hostname rule (lib/request.js), applied to lbkit's host. */
function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const colon = host.indexOf(':', host[0] === '[' ? host.indexOf(']') + 1 : 0);
  return colon === -1 ? host : host.slice(0, colon);
}

/** One `trust proxy` setting as Express takes it, and what the migration table says to write instead. */
interface Setting {
  readonly express: unknown;
  readonly lbkit: (socket: string) => TrustOption;
  readonly calls?: [string, number][];
}

const listSetting = fc
  .tuple(fc.subarray(ENTRIES, { minLength: 0, maxLength: 5 }), fc.boolean())
  .map(([entries, asString]): Setting => {
    // Express splits a string on commas itself; an empty string is no list there.
    const value = asString && entries.length > 0 ? entries.join(', ') : entries;
    return { express: value, lbkit: () => value };
  });
// A hop count: lbkit wants the peer range too; the table says to give the balancer's address.
const hopSetting = fc.integer({ min: 1, max: 5 }).map(
  (hops): Setting => ({
    express: hops,
    lbkit: (socket) => ({ peers: [canonical(socket)!], hops }),
  }),
);
// A function: the same one for both, deciding on the canonical address so either text form agrees.
const functionSetting = fc
  .tuple(
    fc.subarray(
      ADDRESSES.map((a) => canonical(a)!),
      { minLength: 1 },
    ),
    fc.integer({ min: 0, max: 6 }),
  )
  .map(([trusted, maxHop]): Setting => {
    const calls: [string, number][] = [];
    const fn = (address: string, hop: number): boolean => {
      calls.push([canonical(address)!, hop]);
      return hop <= maxHop && trusted.includes(canonical(address)!);
    };
    return { express: fn, lbkit: () => fn, calls };
  });

const scenario = fc.record({
  setting: fc.oneof(listSetting, hopSetting, functionSetting),
  socket: fc.constantFrom(...ADDRESSES),
  forwarded: fc.array(fc.constantFrom(...ADDRESSES), { maxLength: 8 }),
  separator: fc.constantFrom(', ', ','),
  proto: fc.constantFrom(undefined, 'http', 'https'),
  forwardedHost: fc.constantFrom(undefined, 'app.example', 'app.example:8443'),
  encrypted: fc.boolean(),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

function requestOf(s: Scenario) {
  const headers: Record<string, string> = { host: 'origin.internal:3000' };
  if (s.forwarded.length > 0) headers['x-forwarded-for'] = s.forwarded.join(s.separator);
  if (s.proto) headers['x-forwarded-proto'] = s.proto;
  if (s.forwardedHost) headers['x-forwarded-host'] = s.forwardedHost;
  return fakeRequest(s.socket, headers, { encrypted: s.encrypted });
}

describe.each([
  ['Express 5', express],
  ['Express 4', express4 as unknown as typeof express],
])('lbkit agrees with %s trust proxy (proxy-addr) on generated chains', (_name, framework) => {
  /** Express's own getters, on a request built from the app's request prototype (what req.ip reads). */
  function expressView(setting: unknown, raw: ReturnType<typeof fakeRequest>) {
    const app = framework();
    app.set('trust proxy', setting);
    const req = Object.assign(Object.create(app.request), {
      headers: raw.headers,
      socket: raw.socket,
      connection: raw.socket,
    }) as express.Request;
    return req;
  }

  it('req.ip, req.ips and the calls a trust function gets, on 2,000 chains', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const raw = requestOf(s);
        const req = expressView(s.setting.express, raw);
        s.setting.calls?.splice(0);
        const expressIp = canonical(req.ip);
        const expressCalls = s.setting.calls?.splice(0);
        const expressIps = req.ips.map(canonical);
        s.setting.calls?.splice(0);
        const info: ClientInfo = createClientIpResolver({ trust: s.setting.lbkit(s.socket) }).resolve(raw);
        expect(info.ip).toBe(expressIp);
        expect(info.chain.slice(1).reverse()).toEqual(expressIps);
        if (expressCalls) expect(s.setting.calls).toEqual(expressCalls);
      }),
      { numRuns: 2000 },
    );
  });

  it('req.protocol, req.secure and req.hostname whenever a forwarded address is present, on 1,500 chains', () => {
    fc.assert(
      fc.property(
        scenario.filter((s) => s.forwarded.length > 0),
        (s) => {
          const raw = requestOf(s);
          const req = expressView(s.setting.express, raw);
          const info = createClientIpResolver({ trust: s.setting.lbkit(s.socket) }).resolve(raw);
          expect(info.proto).toBe(req.protocol);
          expect(info.proto === 'https').toBe(req.secure);
          expect(hostnameOf(info.host)).toBe(req.hostname);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('proxy-addr itself, called directly, agrees with the Express view (the anchor is one function)', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const raw = requestOf(s);
        if (typeof s.setting.express === 'number') return;
        const trust =
          typeof s.setting.express === 'function'
            ? (s.setting.express as (a: string, i: number) => boolean)
            : proxyaddr.compile(
                typeof s.setting.express === 'string'
                  ? s.setting.express.split(',').map((entry) => entry.trim())
                  : (s.setting.express as string[]),
              );
        const info = createClientIpResolver({ trust: s.setting.lbkit(s.socket) }).resolve(raw);
        expect(info.ip).toBe(canonical(proxyaddr(raw as never, trust)));
        expect(info.chain).toEqual(proxyaddr.all(raw as never, trust).map(canonical));
      }),
      { numRuns: 2000 },
    );
  });
});
