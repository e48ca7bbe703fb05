// A small node:http app that behaves well behind a balancer, unless told to get one thing wrong.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The one thing to get wrong. */
export type Misconfiguration =
  | 'leaks-details'
  | 'trusts-spoofed-xff'
  | 'trusts-spoofed-forwarded'
  | 'trusts-forwarded-host'
  | 'html-probe'
  | 'redirect-probe'
  | 'short-keep-alive'
  | 'no-retry-after'
  | 'public-metrics'
  | 'no-head';

/** A running app and how to stop it. */
export interface TestApp {
  readonly url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

// One hop from a loopback peer, as a balancer on this host forwards; never from anyone else.
function clientIp(req: IncomingMessage, wrong: Misconfiguration | undefined): string {
  const peer = req.socket.remoteAddress ?? '';
  const hops = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  if (wrong === 'trusts-spoofed-xff') return hops[0] ?? peer;
  // Trusts no proxy for the address, yet takes the host from anyone (below).
  if (wrong === 'trusts-forwarded-host') return peer;
  const forwarded = /for=([^,;\s]+)/i.exec(String(req.headers.forwarded ?? ''));
  if (wrong === 'trusts-spoofed-forwarded' && forwarded) return forwarded[1]!;
  return LOOPBACK.has(peer) && hops.length > 0 ? hops[hops.length - 1]! : peer;
}

function probe(
  res: ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/health+json', ...headers });
  res.end(JSON.stringify(body));
}

/** Starts the app on a loopback port. */
export async function startApp(wrong?: Misconfiguration): Promise<TestApp> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (wrong === 'no-head' && req.method === 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    const local = LOOPBACK.has(clientIp(req, wrong));
    const details = wrong === 'leaks-details' || local;
    const report = details
      ? { status: 'pass', checks: { 'redis:ping': [{ status: 'pass', output: 'redis://10.0.0.5:6379' }] } }
      : { status: 'pass' };
    if (path === '/health/live' && wrong === 'html-probe') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><p>ok</p>');
    } else if (path === '/health/live' && wrong === 'redirect-probe')
      res.writeHead(302, { location: '/login' }).end();
    else if (path === '/health/live' || path === '/health/startup' || path === '/health')
      probe(res, 200, report);
    else if (path === '/health/ready')
      probe(
        res,
        wrong === 'no-retry-after' ? 503 : 200,
        wrong === 'no-retry-after' ? { status: 'fail' } : report,
      );
    else if (path === '/whoami') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const host =
        wrong === 'trusts-forwarded-host'
          ? (req.headers['x-forwarded-host'] ?? req.headers.host)
          : req.headers.host;
      res.end(JSON.stringify({ ip: clientIp(req, wrong), host }));
    } else if (path === '/metrics' && (wrong === 'public-metrics' || local)) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# HELP up 1 when up\n# TYPE up gauge\nup 1\n');
    } else res.writeHead(404).end();
  });
  if (wrong === 'short-keep-alive') server.keepAliveTimeout = 500;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
