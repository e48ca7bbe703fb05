// In process, without HTTP: what a read + change + save costs each store (CPU of the process and of Redis), lbkit
// before and after issue #18 side by side with connect-redis 9 on node-redis and on ioredis. Writes `session-cost`.
import { loadavg } from 'node:os';
import { machine, writeSection } from '../lib/results.mjs';
import { startRedis } from './redis-server.mjs';
import { storeCost } from './store-cost.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ROUND_MS = Number(process.env.ROUND_MS ?? 2000);

const loadAtStart = loadavg()[0].toFixed(2);
const redis = await startRedis();
let cost;
try {
  cost = await storeCost(redis.port, { rounds: ROUNDS, ms: ROUND_MS });
} finally {
  redis.admin.disconnect();
  redis.stop();
}

if (process.env.ONLY) {
  // A partial run (while working on one store): figures only, RESULTS.md untouched.
  console.log(JSON.stringify(cost, null, 1));
  process.exit(0);
}

const f1 = (n) => n.toFixed(1);
const f2 = (n) => n.toFixed(2);
const range = (s) => `${f1(s.min)}–${f1(s.max)}`;
const commands = (c) =>
  c
    ? Object.entries(c)
        .sort((a, b) => b[1].us - a[1].us)
        .map(([name, { calls, us }]) => `${name} ${f2(calls)}× ${f2(us)} µs`)
        .join(', ')
    : '–';
const rows = Object.entries(cost).map(
  ([name, r]) =>
    `| ${name} | ${f1(r.us.median)} | ${range(r.us)} | ${r.redisUs ? f2(r.redisUs.median) : '–'} | ${r.redisUs ? `${f2(r.redisUs.min)}–${f2(r.redisUs.max)}` : '–'} | ${commands(r.commands)} |`,
);
const us = (name) => cost[name]?.us.median;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
/** Median and range of the per-round ratios of `a` to `b` (field `us` or `redisUs`). */
const ratio = (a, b, field) => {
  const ratios = cost[a].rounds[field].map((value, i) => value / cost[b].rounds[field][i]);
  return {
    median: median(ratios),
    text: `${f2(median(ratios))}× (${f2(Math.min(...ratios))}–${f2(Math.max(...ratios))})`,
  };
};
const verdict = (ok) => (ok ? 'met' : 'not met');
const targets = [];
for (const client of ['node-redis', 'ioredis']) {
  const now = ratio(`lbkit (${client})`, `connect-redis (${client})`, 'us');
  const before = ratio(`before: lbkit (${client})`, `connect-redis (${client})`, 'us');
  targets.push([
    `read + change + save CPU ≤ connect-redis's on ${client}`,
    `${now.text}; before ${before.text}`,
    verdict(now.median <= 1),
  ]);
}
targets.push([
  "lbkit's own JS ≤ 4 µs",
  `${f1(us('lbkit JS only'))} µs, ${ratio('lbkit JS only', 'before: lbkit JS only', 'us').text} of before (${f1(us('before: lbkit JS only'))} µs); connect-redis's own JS ${f1(us('connect-redis JS only'))} µs`,
  verdict(us('lbkit JS only') <= 4),
]);
for (const client of ['node-redis', 'ioredis']) {
  const now = ratio(`lbkit (${client})`, `connect-redis (${client})`, 'redisUs');
  const before = ratio(`before: lbkit (${client})`, `connect-redis (${client})`, 'redisUs');
  targets.push([
    `Redis CPU per write-heavy cycle ≤ 1.3× connect-redis's on ${client}`,
    `${now.text}; before ${before.text}`,
    verdict(now.median <= 1.3),
  ]);
}
const targetRows = targets.map(([target, figure, state]) => `| ${target} | ${figure} | ${state} |`);

const markdown = `## session cost: one read + change + save in process, lbkit before and after issue #18, beside connect-redis 9

Reproduce: \`npx -y pnpm@10.34.8 build && node bench/session/cost.mjs\` (env \`ROUNDS\`, default 5; \`ROUND_MS\`, default 2000;
\`ONLY\`, a regular expression of the stores to run).

\`bench/session/store-cost.mjs\`, without HTTP: 50 sessions in parallel, each cycle what express-session does with the
store on the write-heavy route (\`get\`, \`createSession\`, change one key, \`set\`), on one private redis-server. Each
store has its own client. \`before:\` is the store as it was before this work (its sources at commit 2764cae, which
\`bench/session/baseline.mjs\` transpiles from git), run in the same process and rounds. connect-redis 9 speaks node-redis's API; on ioredis it
gets the same four commands through a thin adapter (\`connectRedisOnIoredis\`); ioredis then writes each command to
the socket on its own (its default, no auto-pipelining), so Redis reads one command per read call, which is most of
Redis's CPU in that row (lbkit corks ioredis's socket per event-loop turn, as node-redis does by itself). *JS only* rows run the store on a
client that answers at once (no socket, no parsing): the store's own JavaScript. ${ROUNDS} interleaved rounds of
${ROUND_MS} ms after a warm-up, the order rotating each round; figures are medians with the range over the rounds.
Redis CPU is redis-server's \`INFO cpu\` (user + system, so socket I/O included) over each run divided by the cycles; the
commands column is \`INFO commandstats\` of the last round (commands a script runs are counted too, inside the
script's own µs).

| store | CPU µs / cycle | range | Redis CPU µs / cycle | range | Redis commands per cycle (calls, µs) |
|---|---:|---|---:|---|---|
${rows.join('\n')}

Targets: ratios are the median of the per-round ratios (every store runs in every round), with their range.

| target (issue #18) | measured: lbkit ÷ connect-redis, per round | state |
|---|---|---|
${targetRows.join('\n')}

${machine()}. Load average at start ${loadAtStart}; the machine is shared, so compare within the run.
`;
writeSection('session-cost', markdown);
console.log(markdown);
