// The client-ip contract (/whoami), run against node:http, the Express demo (Express 5 and 4) and the Fastify demo through one factory each.
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { acceptProxyProtocol, createClientIpResolver } from '@lbkit/client-ip';
import { isLbkitError, Lifecycle } from '@lbkit/core';
import express4 from 'express4';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp as createExpressApp, type ExpressModule } from '../../examples/express/src/app.js';
import { createApp as createFastifyApp } from '../../examples/fastify/src/app.js';
import { type DemoConfig, readConfig } from '../../examples/shared/src/index.js';

/** A running app answering GET /whoami with at least { ip, proto, host }. */
interface Running {
  port: number;
  close(): Promise<void>;
}

type Factory = (config: DemoConfig) => Promise<Running>;

async function listening(server: Server, config: DemoConfig): Promise<Running> {
  // As the demos' main.ts does: wrap in the same tick as listen, before any connection can arrive.
  if (config.ipSource === 'proxy-protocol') acceptProxyProtocol(server, { peers: config.trust });
  if (!server.listening) {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  }
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The Express demo on `framework` (default Express 5). */
function expressFactory(framework?: ExpressModule): Factory {
  return async (config) => {
    const { app, close } = await createExpressApp({ config, lifecycle: new Lifecycle() }, framework);
    const running = await listening(createServer(app), config);
    return {
      port: running.port,
      close: async () => {
        await running.close();
        await close();
      },
    };
  };
}

const factories: Record<string, Factory> = {
  'node:http': async (config) => {
    const resolver = createClientIpResolver({ trust: config.trust, source: config.ipSource });
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(resolver.resolve(req)));
    });
    return listening(server, config);
  },
  'express 5': expressFactory(),
  'express 4': expressFactory(express4),
  fastify: async (config) => {
    const { app, close } = await createFastifyApp({ config, lifecycle: new Lifecycle() });
    await app.ready();
    const running = await listening(app.server, config);
    return {
      port: running.port,
      close: async () => {
        await running.close();
        await close();
      },
    };
  },
};

function configFor(trust: string, source: string): DemoConfig {
  return readConfig({ LBKIT_TRUST: trust, LBKIT_IP_SOURCE: source, INSTANCE_ID: 'contract', PORT: '0' });
}

/** GET /whoami from `localAddress` (127.0.0.2 plays a direct client, 127.0.0.3 the trusted proxy). */
function whoami(port: number, localAddress: string, headers: Record<string, string | string[]> = {}) {
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/whoami', localAddress, headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode, ...JSON.parse(body) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const running: Running[] = [];
afterEach(async () => {
  for (const app of running.splice(0)) await app.close();
});

async function start(factory: Factory, trust: string, source: string): Promise<number> {
  const app = await factory(configFor(trust, source));
  running.push(app);
  return app.port;
}

describe.each(Object.entries(factories))('/whoami on %s', (_name, factory) => {
  it('a direct client cannot spoof its address, protocol or host', async () => {
    const port = await start(factory, '127.0.0.3', 'x-forwarded-for');
    const answer = await whoami(port, '127.0.0.2', {
      'x-forwarded-for': '6.6.6.6',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.example',
    });
    expect(answer).toMatchObject({ ip: '127.0.0.2', proto: 'http', host: `127.0.0.1:${port}` });
  });

  it('through the trusted proxy: the rightmost untrusted address, with its protocol and host', async () => {
    const port = await start(factory, '127.0.0.3', 'x-forwarded-for');
    const answer = await whoami(port, '127.0.0.3', {
      'x-forwarded-for': ['6.6.6.6', '198.51.100.7'],
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example',
    });
    expect(answer).toMatchObject({ ip: '198.51.100.7', proto: 'https', host: 'app.example' });
  });

  it('RFC 7239 Forwarded from the trusted proxy', async () => {
    const port = await start(factory, '127.0.0.3', 'forwarded');
    const answer = await whoami(port, '127.0.0.3', {
      forwarded: 'for=6.6.6.6, for="[2001:db8::7]:4711";proto=https;host=app.example',
    });
    expect(answer).toMatchObject({ ip: '2001:db8::7', proto: 'https', host: 'app.example' });
  });

  it('a single CDN header, refused when sent twice', async () => {
    const port = await start(factory, '127.0.0.3', 'x-real-ip');
    expect(await whoami(port, '127.0.0.3', { 'x-real-ip': '198.51.100.9' })).toMatchObject({
      ip: '198.51.100.9',
    });
    expect(await whoami(port, '127.0.0.3', { 'x-real-ip': ['198.51.100.9', '6.6.6.6'] })).toMatchObject({
      ip: '127.0.0.3',
    });
    expect(await whoami(port, '127.0.0.2', { 'x-real-ip': '198.51.100.9' })).toMatchObject({
      ip: '127.0.0.2',
    });
  });

  it('the PROXY protocol from an allowed peer; other peers are closed', async () => {
    const port = await start(factory, '127.0.0.3', 'proxy-protocol');
    const exchange = (localAddress: string) =>
      new Promise<string>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port, localAddress }, () => {
          socket.write('PROXY TCP4 203.0.113.44 192.0.2.1 40000 443\r\n');
          socket.write('GET /whoami HTTP/1.1\r\nHost: app.example\r\nConnection: close\r\n\r\n');
        });
        let text = '';
        socket.on('data', (chunk) => (text += chunk));
        socket.on('error', () => {});
        socket.on('close', () => resolve(text));
      });
    const answer = await exchange('127.0.0.3');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
      ip: '203.0.113.44',
      host: 'app.example',
    });
    expect(await exchange('127.0.0.2')).toBe('');
  });

  it('trusting everyone is refused at startup with LBKIT_CLIENT_IP_TRUST_ALL_REFUSED', async () => {
    let error: unknown;
    try {
      running.push(await factory(configFor('*', 'x-forwarded-for')));
    } catch (caught) {
      error = caught;
    }
    expect(isLbkitError(error, 'LBKIT_CLIENT_IP_TRUST_ALL_REFUSED')).toBe(true);
  });
});
