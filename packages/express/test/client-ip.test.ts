import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLbkitError } from '@lbkit/core';
import { clientIp } from '@lbkit/express';
import type express from 'express';
import { describe, expect, it } from 'vitest';
import { expressVersions } from './express-versions.js';

/** GET `path` from `localAddress` and the parsed JSON body. */
function get(port: number, path: string, headers: Record<string, string>, localAddress = '127.0.0.1') {
  return new Promise<unknown>((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path, localAddress, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(expressVersions)('clientIp() on %s', (_version, express) => {
  it('sets req.clientIp and req.clientInfo; req.ip (trust proxy off) stays the socket address', async () => {
    const app = express();
    app.use(clientIp({ trust: '127.0.0.1', source: 'forwarded' }));
    app.get('/', (req, res) => {
      res.json({
        ip: req.ip,
        clientIp: req.clientIp,
        host: req.clientInfo?.host,
        chain: req.clientInfo?.chain,
      });
    });
    const server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          port: (server.address() as AddressInfo).port,
          host: '127.0.0.1',
          localAddress: '127.0.0.1',
          headers: { forwarded: 'for=192.0.2.60;proto=http;host=app.example' },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end();
    });
    server.close();
    expect(JSON.parse(body)).toEqual({
      ip: '127.0.0.1',
      clientIp: '192.0.2.60',
      host: 'app.example',
      chain: ['127.0.0.1', '192.0.2.60'],
    });
  });

  it('frameworkFields: req.ip, req.ips, req.protocol, req.secure and req.hostname report what lbkit resolved, in sub-apps too', async () => {
    const app = express();
    app.use(clientIp({ trust: ['127.0.0.1', '10.0.0.0/8'], frameworkFields: true }));
    const fields = (req: express.Request) => ({
      ip: req.ip,
      ips: req.ips,
      protocol: req.protocol,
      secure: req.secure,
      hostname: req.hostname,
      clientIp: req.clientIp,
    });
    const admin = express();
    admin.get('/', (req, res) => res.json(fields(req)));
    app.use('/admin', admin);
    app.get('/', (req, res) => res.json(fields(req)));
    const server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const headers = {
      'x-forwarded-for': '6.6.6.6, 198.51.100.4, 10.0.0.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example:8443',
    };
    const port = (server.address() as AddressInfo).port;
    const [top, sub, direct] = await Promise.all([
      get(port, '/', headers),
      get(port, '/admin', headers),
      get(port, '/', {}, '127.0.0.2'),
    ]);
    server.close();
    const expected = {
      ip: '198.51.100.4',
      ips: ['198.51.100.4', '10.0.0.7'],
      protocol: 'https',
      secure: true,
      hostname: 'app.example',
      clientIp: '198.51.100.4',
    };
    expect(top).toEqual(expected);
    expect(sub).toEqual(expected);
    expect(direct).toEqual({
      ip: '127.0.0.2',
      ips: [],
      protocol: 'http',
      secure: false,
      hostname: '127.0.0.1',
      clientIp: '127.0.0.2',
    });
  });

  it('without frameworkFields, Express keeps its own req.ip, req.protocol and req.hostname', async () => {
    const app = express();
    app.use(clientIp({ trust: '127.0.0.1' }));
    app.get('/', (req, res) => res.json({ ip: req.ip, protocol: req.protocol, clientIp: req.clientIp }));
    const server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const body = await get((server.address() as AddressInfo).port, '/', {
      'x-forwarded-for': '198.51.100.4',
      'x-forwarded-proto': 'https',
    });
    server.close();
    expect(body).toEqual({ ip: '127.0.0.1', protocol: 'http', clientIp: '198.51.100.4' });
  });

  it('throws the LbkitError at app.use() time, not per request', () => {
    let error: unknown;
    try {
      clientIp({ trust: 2 as never });
    } catch (caught) {
      error = caught;
    }
    expect(isLbkitError(error, 'LBKIT_CLIENT_IP_HOPS_PEER_REQUIRED')).toBe(true);
  });
});
