import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLbkitError } from '@lbkit/core';
import { clientIp } from '@lbkit/express';
import { describe, expect, it } from 'vitest';
import { expressVersions } from './express-versions.js';

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
