// clientIpPlugin resolves on first read: once per request, the same answer as an eager resolution, nothing when unread.
import { type ClientInfo, createClientIpResolver } from '@lbkit/client-ip';
import { clientIpPlugin } from '@lbkit/fastify';
import Fastify from 'fastify';
import { describe, expect, it, vi } from 'vitest';

const forwarded = {
  remoteAddress: '10.1.2.3',
  headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.4', 'x-forwarded-proto': 'https', host: 'app.example' },
};

describe('clientIpPlugin, resolved lazily', () => {
  it('resolves once per request, on first read, to what resolve() answers for that request', async () => {
    const resolver = createClientIpResolver({ trust: '10.0.0.0/8' });
    const resolve = vi.spyOn(resolver, 'resolve');
    const app = Fastify();
    await app.register(clientIpPlugin, { resolver });
    let eager: ClientInfo | undefined;
    app.get('/', async (request) => {
      eager = createClientIpResolver({ trust: '10.0.0.0/8' }).resolve(request.raw);
      const first = request.clientInfo;
      return { same: first === request.clientInfo, ip: request.clientIp, info: first };
    });
    const body = (await app.inject({ url: '/', ...forwarded })).json();
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(body.same).toBe(true);
    expect(body.ip).toBe('198.51.100.4');
    expect(body.info).toEqual(JSON.parse(JSON.stringify(eager)));
    await app.close();
  });

  it('does not resolve at all for a route that reads neither field', async () => {
    const resolver = createClientIpResolver({ trust: '10.0.0.0/8' });
    const resolve = vi.spyOn(resolver, 'resolve');
    const app = Fastify();
    await app.register(clientIpPlugin, { resolver });
    app.get('/hello', async () => ({ hello: 'world' }));
    expect((await app.inject({ url: '/hello', ...forwarded })).statusCode).toBe(200);
    expect(resolve).not.toHaveBeenCalled();
    await app.close();
  });

  it('keeps what the application assigns to request.clientIp and request.clientInfo', async () => {
    const app = Fastify();
    await app.register(clientIpPlugin, { trust: '10.0.0.0/8' });
    app.get('/', async (request) => {
      request.clientIp = '192.0.2.7';
      const info = { ...request.clientInfo, proto: 'http' as const };
      request.clientInfo = info;
      return { ip: request.clientIp, proto: request.clientInfo.proto, sameInfo: request.clientInfo === info };
    });
    const body = (await app.inject({ url: '/', ...forwarded })).json();
    expect(body).toEqual({ ip: '192.0.2.7', proto: 'http', sameInfo: true });
    await app.close();
  });

  it('answers from the socket as it was when the request arrived, even once the client has gone', async () => {
    const app = Fastify();
    await app.register(clientIpPlugin, { trust: 'loopback' });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const seen = new Promise<string | undefined>((resolve) => {
      app.get('/late', async (request) => {
        await new Promise<void>((gone) => request.raw.socket.once('close', () => gone()));
        resolve(request.clientIp);
        release();
        return 'late';
      });
    });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const controller = new AbortController();
    const aborted = fetch(`${address}/late`, { signal: controller.signal }).catch(() => undefined);
    setTimeout(() => controller.abort(), 200);
    await aborted;
    expect(await seen).toBe('127.0.0.1');
    await released;
    await app.close();
  });
});
