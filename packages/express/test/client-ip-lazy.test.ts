// clientIp() resolves on first read: once per request, the same answer as an eager resolution, nothing when unread.
import { once } from 'node:events';
import { createServer, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClientIpResolver } from '@lbkit/client-ip';
import { clientIp } from '@lbkit/express';
import type express from 'express';
import { describe, expect, it, vi } from 'vitest';
import { expressVersions } from './express-versions.js';

async function serve(app: express.Express): Promise<{ url: string; close: () => void }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

const headers = { 'x-forwarded-for': '6.6.6.6, 198.51.100.4', 'x-forwarded-proto': 'https' };

describe.each(expressVersions)('clientIp() on %s, resolved lazily', (_version, express) => {
  it('resolves once per request, on first read, to what resolve() answers, in a mounted sub-app too', async () => {
    const resolver = createClientIpResolver({ trust: 'loopback' });
    const resolve = vi.spyOn(resolver, 'resolve');
    const app = express();
    app.use(clientIp(resolver));
    const sub = express();
    sub.get('/where', (req, res) => {
      const eager = createClientIpResolver({ trust: 'loopback' }).resolve(req);
      const first = req.clientInfo;
      res.json({ same: first === req.clientInfo, ip: req.clientIp, info: first, eager });
    });
    app.use('/sub', sub);
    app.get('/hello', (_req, res) => {
      res.json({ hello: 'world' });
    });
    const { url, close } = await serve(app);
    try {
      expect((await fetch(`${url}/hello`, { headers })).status).toBe(200);
      expect(resolve).not.toHaveBeenCalled();
      const body = (await (await fetch(`${url}/sub/where`, { headers })).json()) as {
        same: boolean;
        ip: string;
        info: { proto: string };
        eager: unknown;
      };
      expect(resolve).toHaveBeenCalledTimes(1);
      expect(body.same).toBe(true);
      expect(body.ip).toBe('198.51.100.4');
      expect(body.info).toEqual(body.eager);
      expect(body.info.proto).toBe('https');
    } finally {
      close();
    }
  });

  it('mounted inside a sub-app, resolves lazily there too, and the parent reads the same answer once the sub-app hands the request back', async () => {
    const resolver = createClientIpResolver({ trust: 'loopback' });
    const resolve = vi.spyOn(resolver, 'resolve');
    const seenInSub: Array<string | undefined> = [];
    const app = express();
    const sub = express();
    sub.use(clientIp(resolver));
    sub.get('/quiet', (_req, res) => {
      res.json({ quiet: true });
    });
    sub.use((req, _res, next) => {
      seenInSub.push(req.clientIp);
      next();
    });
    app.use('/sub', sub);
    app.use((req, res) => {
      const eager = createClientIpResolver({ trust: 'loopback' }).resolve(req);
      res.json({ ip: req.clientIp, info: req.clientInfo, eager });
    });
    const { url, close } = await serve(app);
    try {
      expect((await fetch(`${url}/sub/quiet`, { headers })).status).toBe(200);
      expect(resolve).not.toHaveBeenCalled();
      const body = (await (await fetch(`${url}/sub/onward`, { headers })).json()) as {
        ip: string;
        info: unknown;
        eager: unknown;
      };
      expect(resolve).toHaveBeenCalledTimes(1);
      expect(seenInSub).toEqual(['198.51.100.4']);
      expect(body.ip).toBe('198.51.100.4');
      expect(body.info).toEqual(body.eager);
    } finally {
      close();
    }
  });

  it('answers from the socket as it was when the request arrived, even once the client has gone', async () => {
    const app = express();
    app.use(clientIp({ trust: 'loopback' }));
    const seen = new Promise<string | undefined>((resolve) => {
      app.get('/late', (req, res) => {
        req.socket.once('close', () => {
          resolve(req.clientIp);
          res.end();
        });
      });
    });
    const { url, close } = await serve(app);
    try {
      const controller = new AbortController();
      const aborted = fetch(`${url}/late`, { signal: controller.signal }).catch(() => undefined);
      setTimeout(() => controller.abort(), 200);
      await aborted;
      expect(await seen).toBe('127.0.0.1');
    } finally {
      close();
    }
  });

  it('leaves req.clientIp undefined on requests clientIp() did not see, and keeps what the application assigns', async () => {
    const app = express();
    app.get('/before', (req, res) => {
      res.json({ ip: req.clientIp ?? null, info: req.clientInfo ?? null });
    });
    app.use(clientIp({ trust: 'loopback' }));
    app.get('/assigned', (req, res) => {
      req.clientIp = '192.0.2.7';
      res.json({ ip: req.clientIp, resolved: req.clientInfo?.ip });
    });
    const { url, close } = await serve(app);
    try {
      expect(await (await fetch(`${url}/before`, { headers })).json()).toEqual({ ip: null, info: null });
      expect(await (await fetch(`${url}/assigned`, { headers })).json()).toEqual({
        ip: '192.0.2.7',
        resolved: '198.51.100.4',
      });
    } finally {
      close();
    }
  });
});

describe('clientIp() on a request that is no Express request', () => {
  it('resolves at once into plain properties and leaves the request classes alone', async () => {
    class Inner extends IncomingMessage {}
    class Outer extends Inner {}
    const middleware = clientIp({ trust: 'loopback' });
    const server = createServer({ IncomingMessage: Outer }, (req, res) => {
      middleware(req, res, () => {
        const own = Object.getOwnPropertyDescriptor(req, 'clientIp');
        res.end(
          JSON.stringify({
            own: own !== undefined && 'value' in own,
            ip: (req as { clientIp?: string }).clientIp,
          }),
        );
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const body = await (await fetch(`http://127.0.0.1:${port}/`, { headers })).json();
      expect(body).toEqual({ own: true, ip: '198.51.100.4' });
      expect(Object.getOwnPropertyNames(Inner.prototype)).toEqual(['constructor']);
      expect(Object.getOwnPropertyNames(Outer.prototype)).toEqual(['constructor']);
      expect(Object.hasOwn(IncomingMessage.prototype, 'clientIp')).toBe(false);
    } finally {
      server.close();
    }
  });
});
