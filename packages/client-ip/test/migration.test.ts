// The README's migration example, run: the Express app on clientIp({ frameworkFields }) answers as the same app on `trust proxy` did.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './migration/trust-proxy-app.js';

/** The same routes on Express's own `trust proxy`, as the app read before the migration. */
function createTrustProxyApp(): express.Express {
  const app = express();
  app.set('trust proxy', '127.0.0.1, 10.0.0.0/8');
  app.get('/whoami', (req, res) => {
    const { ip, ips, protocol, secure, hostname } = req;
    res.json({ ip, ips, protocol, secure, hostname });
  });
  return app;
}

function whoami(port: number, localAddress: string, headers: Record<string, string | string[]>) {
  return new Promise<unknown>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/whoami', localAddress, headers, agent: false },
      (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve(JSON.parse(body)));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const servers: ReturnType<typeof createServer>[] = [];
let migrated = 0;
let original = 0;

beforeAll(async () => {
  for (const app of [createApp(), createTrustProxyApp()]) {
    const server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
  }
  migrated = (servers[0]!.address() as AddressInfo).port;
  original = (servers[1]!.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
});

describe('the migration example', () => {
  it('is the code the README shows', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const block =
      /<!-- migration-example:start -->\s*```ts\n([\s\S]*?)```\s*<!-- migration-example:end -->/.exec(readme);
    expect(block?.[1]).toBe(readFileSync(new URL('./migration/trust-proxy-app.ts', import.meta.url), 'utf8'));
  });

  it.each([
    [
      'a direct client spoofing every header',
      '127.0.0.2',
      {
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil.example',
      },
    ],
    [
      'the trusted proxy with one client',
      '127.0.0.1',
      {
        'x-forwarded-for': '198.51.100.7',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'app.example:8443',
      },
    ],
    [
      'the trusted proxy behind an inner balancer',
      '127.0.0.1',
      {
        'x-forwarded-for': '6.6.6.6, 198.51.100.7, 10.1.2.3',
        'x-forwarded-proto': 'http',
      },
    ],
    ['a header repeated over two lines', '127.0.0.1', { 'x-forwarded-for': ['6.6.6.6', '2001:db8::9'] }],
    ['every hop trusted', '127.0.0.1', { 'x-forwarded-for': '10.0.0.1, 10.0.0.2' }],
  ])('answers %s as trust proxy did', async (_name, from, headers) => {
    const [after, before] = await Promise.all([
      whoami(migrated, from, headers),
      whoami(original, from, headers),
    ]);
    expect(after).toEqual(before);
  });
});
