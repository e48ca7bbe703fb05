// End to end through a real nginx: X-Forwarded-For (Express) and X-Real-IP (Fastify), clients on distinct loopback addresses.
import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { clientIp } from '@lbkit/express';
import { clientIpPlugin } from '@lbkit/fastify';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BalancerProcess, nginxBinary, startBalancer } from '../helpers/lb-process.js';
import { freePort } from '../helpers/ports.js';
import { requireService } from '../helpers/services.js';
import { testCertificate } from '../helpers/tls.js';

// nginx connects to the apps from 127.0.0.1; clients connect from 127.0.0.2 and 127.0.0.3.
const NGINX_ADDRESS = '127.0.0.1';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

function get(
  url: string,
  { from, headers = {} }: { from: string; headers?: Record<string, string> },
): Promise<Answer> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        localAddress: from,
        headers: { host: 'app.example', ...headers },
        agent: false,
        rejectUnauthorized: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe.runIf(requireService('nginx', Boolean(nginxBinary), 'apt-get install nginx'))(
  'client-ip behind nginx',
  () => {
    let nginx: BalancerProcess;
    let xffServer: Server;
    let realApp: FastifyInstance;
    let xffPort: number;
    let realPort: number;
    let httpPort: number;
    let httpsPort: number;

    beforeAll(async () => {
      const xff = express();
      xff.use(clientIp({ trust: NGINX_ADDRESS }));
      xff.get('/xff/whoami', (req, res) => {
        res.json(req.clientInfo);
      });
      xffServer = createServer(xff).listen(0, '127.0.0.1');
      await once(xffServer, 'listening');
      xffPort = (xffServer.address() as AddressInfo).port;

      realApp = Fastify();
      await realApp.register(clientIpPlugin, { trust: NGINX_ADDRESS, source: 'x-real-ip' });
      realApp.get('/real/whoami', async (request) => request.clientInfo);
      await realApp.listen({ port: 0, host: '127.0.0.1' });
      realPort = (realApp.server.address() as AddressInfo).port;

      httpPort = await freePort();
      httpsPort = await freePort();
      const { key, cert } = testCertificate();
      nginx = await startBalancer({
        kind: 'nginx',
        template: 'client-ip-nginx.conf.template',
        values: {
          HTTP_PORT: httpPort,
          HTTPS_PORT: httpsPort,
          XFF_APP_PORT: xffPort,
          REAL_APP_PORT: realPort,
        },
        files: { 'cert.pem': cert, 'key.pem': key },
        ports: [httpPort, httpsPort],
      });
    });

    afterAll(async () => {
      await nginx?.stop();
      xffServer?.closeAllConnections();
      await new Promise((resolve) => xffServer?.close(resolve));
      await realApp?.close();
    });

    it('X-Forwarded-For: the address nginx saw, whatever the client put in the header', async () => {
      const answer = await get(`http://127.0.0.1:${httpPort}/xff/whoami`, {
        from: '127.0.0.2',
        headers: {
          'x-forwarded-for': '6.6.6.6',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'evil.example',
        },
      });
      expect(answer.body).toMatchObject({
        ip: '127.0.0.2',
        proto: 'http',
        host: 'app.example',
        chain: [NGINX_ADDRESS, '127.0.0.2'],
        source: 'x-forwarded-for',
      });
    });

    it('two clients on two loopback addresses are told apart', async () => {
      const [a, b] = await Promise.all([
        get(`http://127.0.0.1:${httpPort}/xff/whoami`, { from: '127.0.0.2' }),
        get(`http://127.0.0.1:${httpPort}/xff/whoami`, { from: '127.0.0.3' }),
      ]);
      expect([a.body.ip, b.body.ip]).toEqual(['127.0.0.2', '127.0.0.3']);
    });

    it('HTTPS at nginx: proto https and port 443 come from the same hop as the address', async () => {
      const answer = await get(`https://127.0.0.1:${httpsPort}/xff/whoami`, { from: '127.0.0.3' });
      expect(answer.body).toMatchObject({ ip: '127.0.0.3', proto: 'https', host: 'app.example', port: 443 });
    });

    it('a client going around nginx cannot spoof anything: its own address, plain http', async () => {
      const answer = await get(`http://127.0.0.1:${xffPort}/xff/whoami`, {
        from: '127.0.0.3',
        headers: {
          'x-forwarded-for': '6.6.6.6',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'evil.example',
        },
      });
      expect(answer.body).toMatchObject({
        ip: '127.0.0.3',
        proto: 'http',
        host: 'app.example',
        source: 'socket',
      });
    });

    it("X-Real-IP: nginx overwrites the client's value with the address it saw", async () => {
      const answer = await get(`http://127.0.0.1:${httpPort}/real/whoami`, {
        from: '127.0.0.2',
        headers: { 'x-real-ip': '6.6.6.6' },
      });
      expect(answer.body).toMatchObject({
        ip: '127.0.0.2',
        chain: [NGINX_ADDRESS, '127.0.0.2'],
        source: 'x-real-ip',
      });
    });

    it('X-Real-IP sent straight to the app by a client is ignored', async () => {
      const answer = await get(`http://127.0.0.1:${realPort}/real/whoami`, {
        from: '127.0.0.2',
        headers: { 'x-real-ip': '6.6.6.6' },
      });
      expect(answer.body).toMatchObject({ ip: '127.0.0.2', source: 'socket' });
    });
  },
);
