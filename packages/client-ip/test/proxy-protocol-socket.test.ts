// PROXY protocol over real sockets: v1, v2 with TLVs, garbage, slowloris, peers, LOCAL, keep-alive, pipelining, TLS.
import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  acceptProxyProtocol,
  createClientIpResolver,
  type ProxyProtocolRejection,
  proxyProtocolInfo,
} from '@lbkit/client-ip';
import { isLbkitError } from '@lbkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { testCertificate } from '../../../test/helpers/tls.js';
import { buildV2 } from './proxy-protocol-bytes.js';

const resolver = createClientIpResolver({ trust: ['127.0.0.2', '127.0.0.3'], source: 'proxy-protocol' });

function whoami(req: IncomingMessage, res: ServerResponse): void {
  const info = resolver.resolve(req);
  const pp = proxyProtocolInfo(req);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ...info, url: req.url, vpce: pp?.tlvs.awsVpceId, command: pp?.command }));
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen<S extends Server>(server: S): Promise<number> {
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Connects from `localAddress`, writes each part in turn, and collects everything until the server closes. */
function exchange(
  port: number,
  parts: (string | Buffer)[],
  { localAddress = '127.0.0.2', gapMs = 20, endAfterMs = 400 } = {},
): Promise<{ text: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    let text = '';
    let ended = false;
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve({ text, closedByServer: !ended }));
    socket.once('connect', async () => {
      for (const part of parts) {
        if (socket.destroyed) return;
        socket.write(part);
        await new Promise((r) => setTimeout(r, gapMs));
      }
      setTimeout(() => {
        ended = true;
        socket.end();
      }, endAfterMs);
    });
  });
}

function bodies(text: string): Record<string, unknown>[] {
  return text
    .split('HTTP/1.1 ')
    .filter(Boolean)
    .map((response) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)));
}

const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: app.example\r\n${extra}\r\n`;

describe('acceptProxyProtocol over real sockets', () => {
  it('v1: the client address comes from the header of an allowed peer', async () => {
    const server = createHttpServer(whoami);
    acceptProxyProtocol(server, { peers: '127.0.0.2' });
    const port = await listen(server);
    const { text } = await exchange(port, [
      'PROXY TCP4 203.0.113.7 192.0.2.1 51000 8443\r\n',
      GET('/', 'Connection: close\r\n'),
    ]);
    expect(bodies(text)).toEqual([
      expect.objectContaining({
        ip: '203.0.113.7',
        port: 8443,
        chain: ['127.0.0.2', '203.0.113.7'],
        source: 'proxy-protocol',
      }),
    ]);
  });

  it('v2 with TLVs: AWS VPC endpoint id and the SSL TLV (client reached the balancer over TLS)', async () => {
    const server = createHttpServer(whoami);
    acceptProxyProtocol(server, { peers: '127.0.0.2' });
    const port = await listen(server);
    const header = buildV2({
      family: 0x21,
      source: '2001:db8:1:2::99',
      destination: '2001:db8::1',
      destinationPort: 443,
      tlvs: [
        [0xea, Buffer.concat([Buffer.from([1]), Buffer.from('vpce-0123456789abcdef0')])],
        [0x20, Buffer.from([0x01, 0, 0, 0, 0])],
      ],
      crc: true,
    });
    const { text } = await exchange(port, [header, GET('/', 'Connection: close\r\n')]);
    expect(bodies(text)[0]).toMatchObject({
      ip: '2001:db8:1:2::99',
      proto: 'https',
      port: 443,
      rateLimitKey: '2001:db8:1:2::/64',
      vpce: 'vpce-0123456789abcdef0',
    });
  });

  it('closes a connection that does not start with a header (never sniffs for plain HTTP)', async () => {
    const rejections: ProxyProtocolRejection[] = [];
    const server = createHttpServer(whoami);
    acceptProxyProtocol(server, { peers: '127.0.0.2', onReject: (r) => rejections.push(r) });
    const port = await listen(server);
    const { text, closedByServer } = await exchange(port, [GET('/')]);
    expect(text).toBe('');
    expect(closedByServer).toBe(true);
    expect(rejections).toEqual([
      expect.objectContaining({ reason: 'invalid-header', remoteAddress: '127.0.0.2' }),
    ]);
  });

  it('closes a connection that sends garbage after the PROXY prefix', async () => {
    const rejections: ProxyProtocolRejection[] = [];
    const server = createHttpServer(whoami);
    acceptProxyProtocol(server, { peers: '127.0.0.2', onReject: (r) => rejections.push(r) });
    const port = await listen(server);
    const { text } = await exchange(port, ['PROXY TCP4 evil 1.2.3.4 1 2\r\n', GET('/')]);
    expect(text).toBe('');
    expect(rejections[0]?.reason).toBe('invalid-header');
  });

  it('slowloris: a header trickling in is cut off at headerTimeoutMs', async () => {
    const rejections: ProxyProtocolRejection[] = [];
    const server = createHttpServer(whoami);
    const handle = acceptProxyProtocol(server, {
      peers: '127.0.0.2',
      headerTimeoutMs: 300,
      onReject: (r) => rejections.push(r),
    });
    const port = await listen(server);
    const started = Date.now();
    const trickle = 'PROXY TCP4 203.0.113.7 192.0.2.1 1 2'.split('');
    const pendingWhileTrickling = new Promise<number>((resolve) =>
      setTimeout(() => resolve(handle.pending), 150),
    );
    const { text, closedByServer } = await exchange(port, trickle, { gapMs: 60, endAfterMs: 2000 });
    expect(await pendingWhileTrickling).toBe(1);
    expect(text).toBe('');
    expect(closedByServer).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(rejections).toEqual([expect.objectContaining({ reason: 'timeout' })]);
    expect(handle.pending).toBe(0);
  });

  it('a peer outside peers is closed before anything is read', async () => {
    const rejections: ProxyProtocolRejection[] = [];
    const server = createHttpServer(whoami);
    acceptProxyProtocol(server, { peers: '127.0.0.2', onReject: (r) => rejections.push(r) });
    const port = await listen(server);
    const { text } = await exchange(port, ['PROXY TCP4 203.0.113.7 192.0.2.1 1 2\r\n', GET('/')], {
      localAddress: '127.0.0.3',
    });
    expect(text).toBe('');
    expect(rejections).toEqual([
      expect.objectContaining({ reason: 'peer-not-allowed', remoteAddress: '127.0.0.3' }),
    ]);
  });

  it('LOCAL (a balancer health check) keeps the socket address', async () => {
    const server = createHttpServer(whoami);
    acceptProxyProtocol(server, { peers: '127.0.0.2' });
    const port = await listen(server);
    const header = buildV2({ command: 0, family: 0x00 });
    const { text } = await exchange(port, [header, GET('/', 'Connection: close\r\n')]);
    expect(bodies(text)[0]).toMatchObject({ ip: '127.0.0.2', source: 'socket', command: 'local' });
  });

  it('keep-alive: one header, several requests on the connection, all with its address', async () => {
    const server = createHttpServer(whoami);
    acceptProxyProtocol(server, { peers: '127.0.0.2' });
    const port = await listen(server);
    const { text } = await exchange(port, [
      'PROXY TCP6 2001:db8::7 2001:db8::1 1 443\r\n',
      GET('/one'),
      GET('/two'),
      GET('/three', 'Connection: close\r\n'),
    ]);
    expect(bodies(text).map((b) => [b.url, b.ip])).toEqual([
      ['/one', '2001:db8::7'],
      ['/two', '2001:db8::7'],
      ['/three', '2001:db8::7'],
    ]);
  });

  it('pipelining: header and requests in one packet are all answered in order', async () => {
    const server = createHttpServer(whoami);
    acceptProxyProtocol(server, { peers: '127.0.0.2' });
    const port = await listen(server);
    const packet = `PROXY TCP4 198.51.100.3 192.0.2.1 1 80\r\n${GET('/a')}${GET('/b')}${GET('/c', 'Connection: close\r\n')}`;
    const { text } = await exchange(port, [packet]);
    expect(bodies(text).map((b) => [b.url, b.ip])).toEqual([
      ['/a', '198.51.100.3'],
      ['/b', '198.51.100.3'],
      ['/c', '198.51.100.3'],
    ]);
  });

  it('only the first header counts: a second one goes to HTTP, which refuses it', async () => {
    const server = createHttpServer(whoami);
    acceptProxyProtocol(server, { peers: '127.0.0.2' });
    const port = await listen(server);
    const { text } = await exchange(port, [
      'PROXY TCP4 198.51.100.3 192.0.2.1 1 80\r\n',
      GET('/first'),
      'PROXY TCP4 6.6.6.6 192.0.2.1 1 80\r\n',
      GET('/second'),
    ]);
    expect(text).toContain('"ip":"198.51.100.3"');
    expect(text).toContain('HTTP/1.1 400 Bad Request');
    expect(text).not.toContain('6.6.6.6');
  });

  it('TLS: the header precedes the handshake; requests over TLS see the header address', async () => {
    const { key, cert } = testCertificate();
    const server = createHttpsServer({ key, cert }, whoami);
    acceptProxyProtocol(server, { peers: '127.0.0.2' });
    const port = await listen(server);
    const body = await new Promise<string>((resolve, reject) => {
      const raw = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' }, () => {
        raw.write('PROXY TCP4 203.0.113.50 192.0.2.1 40000 443\r\n');
        const tls = tlsConnect({ socket: raw, rejectUnauthorized: false, servername: 'localhost' }, () => {
          tls.write(`${GET('/tls')}${GET('/tls2', 'Connection: close\r\n')}`);
        });
        let text = '';
        tls.on('data', (chunk) => (text += chunk));
        tls.on('close', () => resolve(text));
        tls.on('error', reject);
      });
    });
    expect(bodies(body)).toEqual([
      expect.objectContaining({ url: '/tls', ip: '203.0.113.50', proto: 'https' }),
      expect.objectContaining({ url: '/tls2', ip: '203.0.113.50', proto: 'https' }),
    ]);
  });

  it('a plain net.Server gets the socket after the header, with the bytes that followed it', async () => {
    const server = createNetServer((socket: Socket) => {
      const info = proxyProtocolInfo(socket);
      socket.once('data', (chunk) => socket.end(`${info?.source?.address} said ${chunk}`));
    });
    acceptProxyProtocol(server as unknown as Server, { peers: '127.0.0.2' });
    const port = await listen(server as unknown as Server);
    const { text } = await exchange(port, ['PROXY TCP4 192.0.2.77 192.0.2.1 1 2\r\nhello']);
    expect(text).toBe('192.0.2.77 said hello');
  });

  it('a connection closing mid-header is reported and cleaned up', async () => {
    const rejections: ProxyProtocolRejection[] = [];
    const server = createHttpServer(whoami);
    const handle = acceptProxyProtocol(server, { peers: '127.0.0.2', onReject: (r) => rejections.push(r) });
    const port = await listen(server);
    await exchange(port, ['PROXY TCP4 1.2'], { endAfterMs: 50 });
    await new Promise((r) => setTimeout(r, 50));
    expect(rejections.map((r) => r.reason)).toEqual(['closed-before-header']);
    expect(handle.pending).toBe(0);
  });

  it('close() gives the server back its own connection handling', async () => {
    const server = createHttpServer(whoami);
    const handle = acceptProxyProtocol(server, { peers: '127.0.0.2' });
    const port = await listen(server);
    handle.close();
    const { text } = await exchange(port, [GET('/', 'Connection: close\r\n')]);
    expect(bodies(text)[0]).toMatchObject({ ip: '127.0.0.2', source: 'socket' });
  });

  it('misconfiguration fails at startup with a code', () => {
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return isLbkitError(error) ? error.code : String(error);
      }
      return undefined;
    };
    const server = createHttpServer();
    expect(codeOf(() => acceptProxyProtocol(server, {} as never))).toBe(
      'LBKIT_CLIENT_IP_PROXY_PROTOCOL_PEERS_REQUIRED',
    );
    expect(codeOf(() => acceptProxyProtocol(server, { peers: true as never }))).toBe(
      'LBKIT_CLIENT_IP_TRUST_ALL_REFUSED',
    );
    expect(codeOf(() => acceptProxyProtocol(server, { peers: 'loopback', headerTimeoutMs: 0 }))).toBe(
      'LBKIT_CLIENT_IP_PROXY_PROTOCOL_INVALID',
    );
    expect(codeOf(() => acceptProxyProtocol(server, { peers: 'loopback', versions: [3 as 1] }))).toBe(
      'LBKIT_CLIENT_IP_PROXY_PROTOCOL_INVALID',
    );
    acceptProxyProtocol(server, { peers: 'loopback' });
    expect(codeOf(() => acceptProxyProtocol(server, { peers: 'loopback' }))).toBe(
      'LBKIT_CLIENT_IP_PROXY_PROTOCOL_ALREADY_WRAPPED',
    );
    expect(
      codeOf(() =>
        createClientIpResolver({ trust: { peers: 'loopback', hops: 2 }, source: 'proxy-protocol' }),
      ),
    ).toBe('LBKIT_CLIENT_IP_HOPS_UNSUPPORTED');
  });
});
