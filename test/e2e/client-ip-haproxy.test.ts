// End to end through a real HAProxy: option forwardfor (mode http) and send-proxy-v2 (mode tcp, plain and TLS) to the PROXY listener.
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { createClientIpResolver, type ProxyProtocolRejection, proxyProtocolInfo } from '@lbkit/client-ip';
import { acceptProxyProtocol, clientIpPlugin } from '@lbkit/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BalancerProcess, haproxyBinary, startBalancer } from '../helpers/lb-process.js';
import { freePort } from '../helpers/ports.js';
import { requireService } from '../helpers/services.js';
import { testCertificate } from '../helpers/tls.js';

// HAProxy connects to the apps from 127.0.0.1; clients connect from 127.0.0.2 and 127.0.0.3.
const HAPROXY_ADDRESS = '127.0.0.1';

function get(
  port: number,
  from: string,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/whoami',
        localAddress: from,
        headers: { host: 'app.example', ...headers },
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve(JSON.parse(text)));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Writes raw HTTP/1.1 on one connection (optionally TLS) from `from`; resolves with the JSON bodies in order. */
function rawRequests(
  port: number,
  from: string,
  { tls = false, preamble = '', paths = ['/whoami'] } = {},
): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const lines = paths
      .map(
        (path, i) =>
          `GET ${path} HTTP/1.1\r\nHost: app.example\r\n${i === paths.length - 1 ? 'Connection: close\r\n' : ''}\r\n`,
      )
      .join('');
    const raw = connect({ host: '127.0.0.1', port, localAddress: from });
    let text = '';
    const finish = () =>
      resolve(
        text
          .split('HTTP/1.1 ')
          .filter(Boolean)
          .map((response) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))),
      );
    raw.on('error', () => finish());
    raw.once('connect', () => {
      if (!tls) {
        raw.on('data', (chunk) => (text += chunk));
        raw.on('close', finish);
        raw.write(preamble + lines);
        return;
      }
      const secure = tlsConnect({ socket: raw, rejectUnauthorized: false, servername: 'localhost' }, () =>
        secure.write(lines),
      );
      secure.on('data', (chunk) => (text += chunk));
      secure.on('close', finish);
      secure.on('error', reject);
    });
  });
}

describe.runIf(requireService('haproxy', Boolean(haproxyBinary), 'apt-get install haproxy'))(
  'client-ip behind HAProxy',
  () => {
    let haproxy: BalancerProcess;
    let httpApp: FastifyInstance;
    let proxyServer: Server;
    const rejections: ProxyProtocolRejection[] = [];
    let httpAppPort: number;
    let proxyAppPort: number;
    let forwardforPort: number;
    let proxyPort: number;
    let proxyTlsPort: number;

    beforeAll(async () => {
      httpApp = Fastify();
      await httpApp.register(clientIpPlugin, { trust: HAPROXY_ADDRESS });
      httpApp.get('/whoami', async (request) => request.clientInfo);
      await httpApp.listen({ port: 0, host: '127.0.0.1' });
      httpAppPort = (httpApp.server.address() as AddressInfo).port;

      const resolver = createClientIpResolver({ trust: HAPROXY_ADDRESS, source: 'proxy-protocol' });
      proxyServer = createServer((req, res) => {
        const info = proxyProtocolInfo(req);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ ...resolver.resolve(req), version: info?.version, ssl: info?.tlvs.ssl }));
      });
      acceptProxyProtocol(proxyServer, { peers: HAPROXY_ADDRESS, onReject: (r) => rejections.push(r) });
      proxyServer.listen(0, '127.0.0.1');
      await once(proxyServer, 'listening');
      proxyAppPort = (proxyServer.address() as AddressInfo).port;

      [forwardforPort, proxyPort, proxyTlsPort] = [await freePort(), await freePort(), await freePort()];
      const { key, cert } = testCertificate();
      haproxy = await startBalancer({
        kind: 'haproxy',
        template: 'client-ip-haproxy.cfg.template',
        values: {
          FORWARDFOR_PORT: forwardforPort,
          HTTP_APP_PORT: httpAppPort,
          PROXY_PORT: proxyPort,
          PROXY_TLS_PORT: proxyTlsPort,
          PROXY_APP_PORT: proxyAppPort,
        },
        files: { 'haproxy.pem': `${cert}\n${key}` },
        ports: [forwardforPort, proxyPort, proxyTlsPort],
      });
    });

    afterAll(async () => {
      await haproxy?.stop();
      await httpApp?.close();
      proxyServer?.closeAllConnections();
      await new Promise((resolve) => proxyServer?.close(resolve));
    });

    it("option forwardfor: its own X-Forwarded-For line comes after the client's, and wins", async () => {
      const answer = await get(forwardforPort, '127.0.0.2', {
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-proto': 'https',
      });
      expect(answer).toMatchObject({
        ip: '127.0.0.2',
        proto: 'http',
        chain: [HAPROXY_ADDRESS, '127.0.0.2'],
        source: 'x-forwarded-for',
      });
    });

    it('option forwardfor: two clients on two loopback addresses are told apart', async () => {
      const [a, b] = await Promise.all([get(forwardforPort, '127.0.0.2'), get(forwardforPort, '127.0.0.3')]);
      expect([a.ip, b.ip]).toEqual(['127.0.0.2', '127.0.0.3']);
    });

    it('a client going around HAProxy gets its own address despite X-Forwarded-For', async () => {
      expect(await get(httpAppPort, '127.0.0.3', { 'x-forwarded-for': '6.6.6.6' })).toMatchObject({
        ip: '127.0.0.3',
        source: 'socket',
      });
    });

    it('send-proxy-v2: the PROXY listener reads the client from the v2 header, for every request on the connection', async () => {
      const answers = await rawRequests(proxyPort, '127.0.0.2', { paths: ['/whoami', '/whoami', '/whoami'] });
      expect(answers).toHaveLength(3);
      for (const answer of answers) {
        expect(answer).toMatchObject({
          ip: '127.0.0.2',
          proto: 'http',
          source: 'proxy-protocol',
          version: 2,
          chain: [HAPROXY_ADDRESS, '127.0.0.2'],
        });
      }
    });

    it('send-proxy-v2-ssl-cn behind TLS at HAProxy: the SSL TLV makes proto https', async () => {
      const [answer] = await rawRequests(proxyTlsPort, '127.0.0.3', { tls: true });
      expect(answer).toMatchObject({ ip: '127.0.0.3', proto: 'https', version: 2, ssl: { client: true } });
      expect(String((answer!.ssl as { version?: string }).version)).toMatch(/^TLSv1\.[23]$/);
    });

    it('a client connecting to the PROXY listener itself, forging a header, is closed unanswered', async () => {
      rejections.length = 0;
      const answers = await rawRequests(proxyAppPort, '127.0.0.3', {
        preamble: 'PROXY TCP4 6.6.6.6 127.0.0.1 1234 80\r\n',
      });
      expect(answers).toEqual([]);
      expect(rejections).toEqual([
        expect.objectContaining({ reason: 'peer-not-allowed', remoteAddress: '127.0.0.3' }),
      ]);
    });
  },
);
