import { isLbkitError } from '@lbkit/core';
import { clientIpPlugin } from '@lbkit/fastify';
import Fastify, { type FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';

describe('clientIpPlugin', () => {
  it('decorates request.clientIp and request.clientInfo for routes in every encapsulation context', async () => {
    const app = Fastify();
    await app.register(clientIpPlugin, { trust: '10.0.0.0/8' });
    await app.register(async function child(scope) {
      scope.get('/child', async (request) => ({ ip: request.clientIp, proto: request.clientInfo.proto }));
    });
    const response = await app.inject({
      url: '/child',
      remoteAddress: '10.1.2.3',
      headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.4', 'x-forwarded-proto': 'https' },
    });
    expect(response.json()).toEqual({ ip: '198.51.100.4', proto: 'https' });
    await app.close();
  });

  it('leaves request.ip (Fastify trustProxy off) as the socket address', async () => {
    const app = Fastify();
    await app.register(clientIpPlugin, { trust: '10.0.0.0/8' });
    app.get('/', async (request) => ({ ip: request.ip, clientIp: request.clientIp }));
    const response = await app.inject({
      url: '/',
      remoteAddress: '10.1.2.3',
      headers: { 'x-forwarded-for': '198.51.100.4' },
    });
    expect(response.json()).toEqual({ ip: '10.1.2.3', clientIp: '198.51.100.4' });
    await app.close();
  });

  it('frameworkFields: request.ip, ips, protocol, host, hostname and port report what lbkit resolved, in every context', async () => {
    const app = Fastify();
    await app.register(clientIpPlugin, { trust: '10.0.0.0/8', frameworkFields: true });
    const seen: unknown[] = [];
    const fields = (request: FastifyRequest) => ({
      ip: request.ip,
      ips: request.ips,
      protocol: request.protocol,
      host: request.host,
      hostname: request.hostname,
      port: request.port,
    });
    app.addHook('preHandler', async (request) => {
      seen.push(fields(request));
    });
    await app.register(async function child(scope) {
      scope.get('/child', async (request) => fields(request));
    });
    const response = await app.inject({
      url: '/child',
      remoteAddress: '10.1.2.3',
      headers: {
        'x-forwarded-for': '6.6.6.6, 198.51.100.4, 10.0.0.9',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'app.example:8443',
      },
    });
    const expected = {
      ip: '198.51.100.4',
      ips: ['10.1.2.3', '10.0.0.9', '198.51.100.4'],
      protocol: 'https',
      host: 'app.example:8443',
      hostname: 'app.example',
      port: 8443,
    };
    expect(response.json()).toEqual(expected);
    expect(seen).toEqual([expected]);
    const direct = await app.inject({
      url: '/child',
      remoteAddress: '192.0.2.1',
      headers: { host: 'origin.example', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' },
    });
    expect(direct.json()).toEqual({
      ip: '192.0.2.1',
      ips: ['192.0.2.1'],
      protocol: 'http',
      host: 'origin.example',
      hostname: 'origin.example',
      port: null,
    });
    await app.close();
  });

  it('fails registration with the LbkitError code on misconfiguration', async () => {
    const app = Fastify();
    app.register(clientIpPlugin, { trust: true as never });
    const error = await app.ready().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isLbkitError(error, 'LBKIT_CLIENT_IP_TRUST_ALL_REFUSED')).toBe(true);
  });
});
