// Client address resolution in ns/op: @lbkit/client-ip beside proxy-addr (compiled trust, same inputs, same process).

import { createClientIpResolver } from '@lbkit/client-ip';
import proxyaddr from 'proxy-addr';
import { machine, writeSection } from '../lib/results.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const TARGET_MS = Number(process.env.ROUND_MS ?? 150);

const TRUST = ['10.0.0.0/8', 'loopback', 'fd00::/8'];
const lbkit = createClientIpResolver({ trust: TRUST });
const lbkitForwarded = createClientIpResolver({ trust: TRUST, source: 'forwarded' });
const compiled = proxyaddr.compile(TRUST);

const request = (remoteAddress, headers) => ({
  headers,
  socket: { remoteAddress },
  connection: { remoteAddress },
});
const hops = (n, make) => Array.from({ length: n }, (_, i) => make(i)).join(', ');

function bigHeader(bytes) {
  let header = '198.51.100.7';
  let i = 0;
  while (header.length < bytes - 16) header += `, 10.${(i >> 8) & 255}.${i++ & 255}.1`;
  return header;
}
const big = bigHeader(64 * 1024);

const cases = [
  {
    name: 'XFF short: client, proxy (trusted peer)',
    req: request('10.0.0.1', { 'x-forwarded-for': '203.0.113.7, 10.0.0.2' }),
    compare: true,
  },
  {
    name: 'XFF long: client + 20 trusted hops',
    req: request('10.0.0.1', { 'x-forwarded-for': `203.0.113.7, ${hops(20, (i) => `10.0.${i}.1`)}` }),
    compare: true,
  },
  {
    name: 'XFF IPv6: client, 3 trusted hops',
    req: request('::1', { 'x-forwarded-for': `2001:db8:1:2::99, ${hops(3, (i) => `fd00::${i + 1}`)}` }),
    compare: true,
  },
  {
    name: 'untrusted peer (header ignored)',
    req: request('198.51.100.9', { 'x-forwarded-for': '6.6.6.6, 10.0.0.2' }),
    compare: true,
  },
  {
    name: 'XFF 64 KiB, every hop trusted (full walk)',
    req: request('10.0.0.1', { 'x-forwarded-for': big }),
    compare: true,
    big: true,
  },
  {
    name: 'Forwarded (RFC 7239): client + 2 trusted hops',
    req: request('10.0.0.1', {
      forwarded: 'for=203.0.113.7;proto=https;host=app.example, for=10.0.0.3, for="[fd00::5]:4711"',
    }),
    forwarded: true,
  },
];

/** ns/op of `fn`, median of ROUNDS rounds; each round runs for about TARGET_MS. */
function measure(fn) {
  let sink = 0;
  let iterations = 1;
  // Calibrate the batch size so one round takes about TARGET_MS (this also warms the JIT).
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += fn()?.length ?? 0;
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (ms > TARGET_MS / 4) {
      iterations = Math.max(1, Math.round((iterations * TARGET_MS) / ms));
      break;
    }
    iterations *= 4;
  }
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += fn()?.length ?? 0;
    rounds.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  if (sink === -1) console.log(sink);
  rounds.sort((a, b) => a - b);
  return rounds[rounds.length >> 1];
}

const fmt = (ns) => (ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${ns.toFixed(0)} ns`);
const rows = [];
for (const c of cases) {
  const resolver = c.forwarded ? lbkitForwarded : lbkit;
  const expected = c.forwarded ? undefined : proxyaddr(c.req, compiled);
  const ours = resolver.ip(c.req);
  if (!c.forwarded && ours !== expected) throw new Error(`${c.name}: lbkit ${ours} ≠ proxy-addr ${expected}`);
  // Interleave the implementations so drift (other processes, thermal) hits both alike.
  const row = { name: c.name, ip: ours, lbkitIp: [], lbkitResolve: [], proxyAddr: [] };
  for (let pass = 0; pass < 2; pass++) {
    row.lbkitIp.push(measure(() => resolver.ip(c.req)));
    row.lbkitResolve.push(measure(() => resolver.resolve(c.req).ip));
    if (c.compare) row.proxyAddr.push(measure(() => proxyaddr(c.req, compiled)));
  }
  const best = (list) => (list.length ? Math.min(...list) : undefined);
  rows.push({
    ...row,
    lbkitIp: best(row.lbkitIp),
    lbkitResolve: best(row.lbkitResolve),
    proxyAddr: best(row.proxyAddr),
  });
  const last = rows[rows.length - 1];
  console.log(
    `${c.name}: lbkit ip() ${fmt(last.lbkitIp)}, resolve() ${fmt(last.lbkitResolve)}` +
      (last.proxyAddr
        ? `, proxy-addr ${fmt(last.proxyAddr)} (${(last.proxyAddr / last.lbkitIp).toFixed(1)}× )`
        : ''),
  );
}

const table = rows
  .map((r) => {
    const ratio = r.proxyAddr ? `${(r.proxyAddr / r.lbkitIp).toFixed(1)}×` : 'n/a';
    const ratioResolve = r.proxyAddr ? `${(r.proxyAddr / r.lbkitResolve).toFixed(1)}×` : 'n/a';
    return `| ${r.name} | \`${r.ip}\` | ${fmt(r.lbkitIp)} | ${fmt(r.lbkitResolve)} | ${r.proxyAddr ? fmt(r.proxyAddr) : '—'} | ${ratio} | ${ratioResolve} |`;
  })
  .join('\n');

writeSection(
  'client-ip',
  `## client-ip: resolution ns/op beside proxy-addr

Reproduce: \`npx tsc -b && node bench/client-ip/run.mjs\` (env \`ROUNDS\`, \`ROUND_MS\`).

One process, the same request objects for both libraries, trust \`${JSON.stringify(TRUST)}\` compiled once
(\`createClientIpResolver\` / \`proxyaddr.compile\`); both must return the same address or the run aborts.
\`ip()\` returns the address only (what proxy-addr returns); \`resolve()\` also builds proto, host, port, the
chain and the rate-limit key. Each figure is the best of 2 interleaved passes, each the median of ${ROUNDS}
rounds of about ${TARGET_MS} ms. "×" = proxy-addr time ÷ lbkit time (higher is better for lbkit).
The 64 KiB row is the linear-time check of the issue: one header of ${big.length} bytes, every hop trusted,
so the whole list is walked.

| case | answer | lbkit \`ip()\` | lbkit \`resolve()\` | proxy-addr | × vs \`ip()\` | × vs \`resolve()\` |
|---|---|---:|---:|---:|---:|---:|
${table}

Target (issue 3): at least 2× faster than proxy-addr on X-Forwarded-For. Shared 2-core machine with other
benchmarks possibly running: absolute figures are noisy, ratios within a row are the comparison.
${machine()}.`,
);
