// The soak's mixed traffic: every demo route, new and returning sessions, unique client addresses, 404s, WebSockets.
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';

// ws is the demo's own dependency (examples/shared); Node 20 has no WebSocket client of its own.
const WebSocket = createRequire(new URL('../../examples/shared/package.json', import.meta.url))('ws');

/** What one soak has sent and how it was answered. */
export class TrafficCounts {
  byStatus = new Map();
  errors = 0;
  /** Failed requests by error code, for the report. */
  errorKinds = new Map();
  skipped = 0;
  sent = 0;
  count(status) {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }
  /** `2xx: n, 4xx: n, …` in status order. */
  summary() {
    const classes = new Map();
    for (const [status, n] of this.byStatus) {
      const key =
        status === 101
          ? 'WebSocket echo'
          : status === 404 || status === 426 || status === 503
            ? String(status)
            : `${String(status)[0]}xx`;
      classes.set(key, (classes.get(key) ?? 0) + n);
    }
    return [...classes]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ');
  }
}

function send(base, { method = 'GET', path, headers = {}, body, agent, localAddress }) {
  return new Promise((resolve) => {
    const url = new URL(path, base);
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers: body ? { ...headers, 'content-type': 'application/json' } : headers,
        agent: agent ?? false,
        localAddress,
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, cookie: res.headers['set-cookie']?.[0] }));
        res.on('error', (error) =>
          resolve({ status: 0, error: `${method} ${url.pathname}: ${error.code ?? error.message}` }),
        );
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (error) =>
      resolve({
        status: 0,
        error: `${method} ${url.pathname.split('/').slice(0, 2).join('/')}: ${error.code ?? error.message}`,
      }),
    );
    req.end(body);
  });
}

function webSocketEcho(base) {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/ws`);
    const done = (status, error) => {
      socket.terminate();
      resolve({ status, error });
    };
    const timer = setTimeout(() => done(0, 'WebSocket: no echo in 5 s'), 5000);
    socket.on('open', () => socket.send('soak'));
    socket.on('message', (data) => {
      clearTimeout(timer);
      socket.close(1000);
      resolve({ status: String(data) === 'soak' ? 101 : 0 });
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      done(0, `WebSocket: ${error.code ?? error.message}`);
    });
  });
}

/**
 * Sends `rate` requests per second until `stopAt` (performance.now() ms), at most `maxInFlight` at a
 * time (a request that would exceed it is skipped and counted), drawn from the mix below.
 */
export async function runTraffic(base, { rate, stopAt, maxInFlight = 64, counts = new TrafficCounts() }) {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const cookies = [];
  let n = 0;
  let inFlight = 0;
  const unique = () => n.toString(36);
  // Weights per 100 requests; every route of CONTRACT.md appears.
  const mix = [
    [20, () => ({ path: '/session' })], // a new session each time (no cookie)
    [
      15,
      () => ({ path: '/session', headers: cookies.length ? { cookie: cookies[n % cookies.length] } : {} }),
    ],
    [
      8,
      () => ({
        method: 'POST',
        path: `/session/k${n % 50}`,
        body: JSON.stringify({ n, pad: 'x'.repeat(n % 200) }),
      }),
    ],
    [
      12,
      () => ({
        path: '/whoami',
        // A unique client per request, as a trusted proxy on loopback (LBKIT_TRUST=loopback) forwards it.
        headers: { 'x-forwarded-for': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` },
      }),
    ],
    // A distinct 127.0.0.x source address, new connection each time.
    [8, () => ({ path: '/whoami', localAddress: `127.0.0.${2 + (n % 250)}`, fresh: true })],
    [12, () => ({ path: `/no-such-route/${unique()}?q=${unique()}` })],
    [4, () => ({ path: '/health/ready' })],
    [2, () => ({ path: '/health/live' })],
    [2, () => ({ path: '/health/startup' })],
    [2, () => ({ path: '/health' })],
    [3, () => ({ path: '/metrics' })],
    [3, () => ({ path: '/' })],
    [2, () => ({ path: '/', headers: { accept: 'text/html' } })],
    [3, () => ({ path: '/slow?ms=20' })],
    [2, () => ({ path: '/work?ms=1' })],
    [1, () => ({ path: '/ws' })], // a plain GET: 426
    [1, () => ({ webSocket: true })],
  ];
  const table = mix.flatMap(([weight, make]) => Array.from({ length: weight }, () => make));
  const intervalMs = 1000 / rate;
  const start = performance.now();
  const pending = new Set();
  while (performance.now() < stopAt) {
    const due = start + n * intervalMs;
    const now = performance.now();
    if (due > now) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(due - now, 50)));
      continue;
    }
    const make = table[(n * 37) % table.length];
    n++;
    if (inFlight >= maxInFlight) {
      counts.skipped++;
      continue;
    }
    const spec = make();
    inFlight++;
    counts.sent++;
    const p = (
      spec.webSocket ? webSocketEcho(base) : send(base, { ...spec, agent: spec.fresh ? undefined : agent })
    )
      .then(({ status, cookie, error }) => {
        if (status === 0) {
          counts.errors++;
          counts.errorKinds.set(error, (counts.errorKinds.get(error) ?? 0) + 1);
        } else counts.count(status);
        if (cookie && cookies.length < 200) cookies.push(cookie.split(';')[0]);
      })
      .finally(() => {
        inFlight--;
        pending.delete(p);
      });
    pending.add(p);
  }
  await Promise.all(pending);
  agent.destroy();
  return counts;
}
