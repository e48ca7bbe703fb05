// Session store cost: lbkit's RedisSessionStore (on ioredis and on node-redis) beside connect-redis 9 and a compare-and-set
// reference (cas-floor.mjs) behind express-session, on one private redis-server.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { machine, writeSection } from '../lib/results.mjs';
import { baselineDir } from './baseline.mjs';
import { startRedis } from './redis-server.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DURATION_S = Number(process.env.DURATION_S ?? 4);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
/** Requests per second each store gets in the side-by-side rounds: all six together stay below saturation. */
const SIDE_BY_SIDE_RATE = Number(process.env.SIDE_BY_SIDE_RATE ?? 600);
const stores = [
  'lbkit',
  'lbkit-node-redis',
  'before-lbkit',
  'before-lbkit-node-redis',
  'cas-floor',
  'connect-redis',
];
const labels = {
  lbkit: 'lbkit (ioredis)',
  'lbkit-node-redis': 'lbkit (node-redis)',
  'before-lbkit': 'before: lbkit (ioredis)',
  'before-lbkit-node-redis': 'before: lbkit (node-redis)',
  'connect-redis': 'connect-redis',
  'cas-floor': 'reference: connect-redis + compare-and-set',
};
const read = { method: 'GET', path: '/read' };
const write = { method: 'POST', path: '/write' };
const workloads = [
  {
    key: 'read-mostly',
    name: 'read-mostly (9 unmodified reads : 1 write)',
    requests: [...Array(9).fill(read), write],
  },
  { key: 'write-heavy', name: 'write-heavy (every request changes the session)', requests: [write] },
];

async function startServer(kind, redisPort) {
  // The server runs in its own process so that autocannon and the server do not share a core.
  const child = fork(new URL('./server.mjs', import.meta.url), [kind, String(redisPort)], {
    stdio: 'inherit',
    // SERVER_ARGV: node flags for the server processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
    execArgv: process.env.SERVER_ARGV ? process.env.SERVER_ARGV.split(' ') : [],
  });
  const [message] = await once(child, 'message');
  return { child, url: `http://127.0.0.1:${message.port}` };
}

/** One session cookie per connection, so requests of one connection share a session and connections do not. */
async function seedSessions(url) {
  const cookies = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const response = await fetch(`${url}/seed`, { method: 'POST' });
    cookies.push(response.headers.getSetCookie()[0].split(';')[0]);
  }
  return cookies;
}

/** User + system CPU of the server process in µs, and the commands its lbkit client sent so far. */
async function serverCounters(child) {
  child.send('cpu');
  for (;;) {
    const [message] = await once(child, 'message');
    if (message.cpu) return { cpu: message.cpu.user + message.cpu.system, sent: message.sent };
  }
}

/** User + system CPU of redis-server, in µs (INFO cpu). */
async function redisCpu(admin) {
  const info = await admin.info('cpu');
  const value = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (value('used_cpu_user') + value('used_cpu_sys')) * 1e6;
}

async function commandCalls(admin) {
  const info = await admin.info('commandstats');
  const calls = {};
  for (const [, name, n] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (name !== 'info' && !name.startsWith('config')) calls[name] = Number(n);
  }
  return calls;
}

/** The workload's requests, each connection with its own cookie (autocannon's per-connection context keeps it). */
function requestsWithCookies(workload, cookies) {
  let next = 0;
  const withCookie = (req, context) => {
    context.cookie ??= cookies[next++ % cookies.length];
    return { ...req, headers: { ...req.headers, cookie: context.cookie } };
  };
  return workload.requests.map((request) => ({ ...request, setupRequest: withCookie }));
}

/** Failed answers per store over the whole run (a Redis stall past commandTimeoutMs answers 503). */
const failures = {};

/**
 * Counts failed answers; more than 1 in 1000 of a run's requests aborts the bench (something is wrong, not the
 * machine). A shared machine's stall can hold Redis past the store's 1 s command deadline, and a fail-closed store
 * then answers 503, which is what it should do: those are counted and shown beside the figures.
 */
function checkAnswers(kind, server, result) {
  const failed = result.errors + result.non2xx;
  if (failed === 0) return;
  failures[kind] = (failures[kind] ?? 0) + failed;
  console.log(`${kind}: ${result.errors} errors, ${result.non2xx} non-2xx of ${result.requests.total}`);
  if (failed > result.requests.total / 1000)
    throw new Error(`${server.url}: ${result.errors} errors, ${result.non2xx} non-2xx`);
}

async function load(kind, server, cookies, workload, duration, admin) {
  await admin.config('RESETSTAT');
  const nodeBefore = await serverCounters(server.child);
  const redisBefore = await redisCpu(admin);
  const result = await autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration,
    pipelining: 1,
    requests: requestsWithCookies(workload, cookies),
  });
  const nodeAfter = await serverCounters(server.child);
  const nodeCpu = nodeAfter.cpu - nodeBefore.cpu;
  const redisCpuUs = (await redisCpu(admin)) - redisBefore;
  const calls = await commandCalls(admin);
  checkAnswers(kind, server, result);
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  // INFO commandstats also counts the commands a Lua script runs; those cost no round trip. The
  // lbkit server counts what its client sends; connect-redis sends every command it runs.
  const sent = kind === 'connect-redis' ? total : nodeAfter.sent - nodeBefore.sent;
  return {
    rps: result.requests.average,
    nodeUs: nodeCpu / result.requests.total,
    redisUs: redisCpuUs / result.requests.total,
    p99: result.latency.p99,
    sentPerRequest: sent / result.requests.total,
    executedPerRequest: total / result.requests.total,
    perRequest: Object.fromEntries(
      Object.entries(calls).map(([name, n]) => [name, n / result.requests.total]),
    ),
  };
}

/**
 * Server CPU per request of every store at once, each at SIDE_BY_SIDE_RATE (below saturation): the
 * machine's other load then weighs on all of them alike, so their ratio moves less than req/s does.
 */
async function sideBySide(workload) {
  const measured = await Promise.all(
    stores.map(async (kind) => {
      const server = servers[kind];
      const before = await serverCounters(server.child);
      const result = await autocannon({
        url: server.url,
        connections: CONNECTIONS,
        duration: DURATION_S,
        pipelining: 1,
        overallRate: SIDE_BY_SIDE_RATE,
        requests: requestsWithCookies(workload, cookies[kind]),
      });
      const after = await serverCounters(server.child);
      checkAnswers(kind, server, result);
      return [kind, (after.cpu - before.cpu) / result.requests.total];
    }),
  );
  return Object.fromEntries(measured);
}

/** Compares commands per request at one decimal: 2.01 and 2.02 are the same two commands. */
function fewer(ours, theirs) {
  const [a, b] = [Math.round(ours * 10), Math.round(theirs * 10)];
  return a < b ? 'met' : a === b ? 'missed: equal' : 'missed';
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const loadAtStart = loadavg()[0].toFixed(2);
// Built once here, so the server processes do not race to build it.
baselineDir();
const redis = await startRedis();
const servers = {};
const cookies = {};
const samples = {};
const sideSamples = {};
try {
  for (const kind of stores) {
    servers[kind] = await startServer(kind, redis.port);
    cookies[kind] = await seedSessions(servers[kind].url);
    for (const workload of workloads)
      await load(kind, servers[kind], cookies[kind], workload, 1, redis.admin); // warm-up
  }
  // Interleaved rounds, store order alternating: machine noise spreads over both stores.
  for (let round = 1; round <= ROUNDS; round++) {
    for (const workload of workloads) {
      // Each round starts with the next store: machine noise spreads over all of them.
      const order = stores.map((_, i) => stores[(i + round) % stores.length]);
      for (const kind of order) {
        const sample = await load(kind, servers[kind], cookies[kind], workload, DURATION_S, redis.admin);
        const key = `${kind} ${workload.key}`;
        samples[key] = [...(samples[key] ?? []), sample];
        console.log(
          `round ${round} ${key}: ${Math.round(sample.rps)} req/s, p99 ${sample.p99} ms, ` +
            `CPU/request ${Math.round(sample.nodeUs)} µs node + ${Math.round(sample.redisUs)} µs redis, ` +
            `${sample.sentPerRequest.toFixed(2)} commands sent/request, ${sample.executedPerRequest.toFixed(2)} executed`,
        );
      }
    }
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const workload of workloads) {
      const cpu = await sideBySide(workload);
      sideSamples[workload.key] = [...(sideSamples[workload.key] ?? []), cpu];
      console.log(
        `side by side ${round} ${workload.key}: server CPU/request ` +
          stores.map((kind) => `${kind} ${Math.round(cpu[kind])} µs`).join(', '),
      );
    }
  }
} finally {
  for (const { child } of Object.values(servers)) child.disconnect();
  redis.admin.disconnect();
  await sleep(200);
  redis.stop();
}

const rows = [];
const verdicts = [];
const summary = {};
for (const workload of workloads) {
  const figures = {};
  for (const kind of stores) {
    const runs = samples[`${kind} ${workload.key}`];
    const last = runs[runs.length - 1];
    figures[kind] = {
      rps: median(runs.map((s) => s.rps)),
      p99: median(runs.map((s) => s.p99)),
      sent: median(runs.map((s) => s.sentPerRequest)),
      executed: median(runs.map((s) => s.executedPerRequest)),
      nodeUs: median(runs.map((s) => s.nodeUs)),
      redisUs: median(runs.map((s) => s.redisUs)),
      perRound: runs.map((s) => Math.round(s.rps)).join(', '),
      breakdown: Object.entries(last.perRequest)
        .sort((a, b) => b[1] - a[1])
        .map(([name, n]) => `${name} ${n.toFixed(2)}`)
        .join(', '),
    };
  }
  const baseRuns = samples[`connect-redis ${workload.key}`];
  const base = figures['connect-redis'];
  summary[workload.key] = { base };
  for (const kind of stores) {
    const f = figures[kind];
    const runs = samples[`${kind} ${workload.key}`];
    // Each round runs the stores back to back, so the per-round ratio cancels most of the machine's drift.
    const ratios = runs.map((s, i) => s.rps / baseRuns[i].rps);
    const ratio = kind === 'connect-redis' ? 1 : median(ratios);
    rows.push(
      `| ${workload.name} | ${labels[kind]} | ${Math.round(f.rps)} | ${ratio.toFixed(2)} | ` +
        `${kind === 'connect-redis' ? '–' : `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`} | ${f.p99} | ` +
        `${Math.round(f.nodeUs)} | ${Math.round(f.redisUs)} | ` +
        `${f.sent.toFixed(2)} | ${f.executed.toFixed(2)} | ${f.breakdown} | ${f.perRound} |`,
    );
    if (kind === 'connect-redis' || kind === 'cas-floor') {
      summary[workload.key][kind] = { ...f, ratio };
      continue;
    }
    const ahead = ratios.filter((r) => r > 1).length;
    summary[workload.key][kind] = { ...f, ratio };
    verdicts.push(
      `${workload.key}, ${labels[kind]}: throughput ${ratio.toFixed(2)}× connect-redis (median of the per-round ` +
        `ratios; ahead in ${ahead} of ${ROUNDS} rounds; target ≥ 1: ${ratio >= 1 ? 'met' : 'missed'}), server CPU per ` +
        `request ${(f.nodeUs / base.nodeUs).toFixed(2)}×, Redis CPU per request ${(f.redisUs / base.redisUs).toFixed(2)}×, ` +
        `${f.sent.toFixed(2)} vs ${base.sent.toFixed(2)} commands sent per request (target fewer: ${fewer(f.sent, base.sent)})`,
    );
  }
}

const sideRows = [];
for (const workload of workloads) {
  const rounds = sideSamples[workload.key];
  for (const kind of stores) {
    const ratios = rounds.map((cpu) => cpu[kind] / cpu['connect-redis']);
    sideRows.push(
      `| ${workload.name} | ${labels[kind]} | ${Math.round(median(rounds.map((cpu) => cpu[kind])))} | ` +
        `${kind === 'connect-redis' ? '1.00 | –' : `${median(ratios).toFixed(2)} | ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`} |`,
    );
  }
}

const writeHeavy = summary['write-heavy'];
/** The reference's per-round throughput ratios to connect-redis, as a range. */
const floorRange = (key) => {
  const ratios = samples[`cas-floor ${key}`].map((s, i) => s.rps / samples[`connect-redis ${key}`][i].rps);
  return `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
};
/** Median side-by-side server CPU ratio of a store to connect-redis. */
const sideRatio = (key, kind) =>
  `${median(sideSamples[key].map((cpu) => cpu[kind] / cpu['connect-redis'])).toFixed(2)}×`;
/** Per-round ratios of a store's figure to connect-redis's (throughput, server or Redis CPU per request). */
const roundRatios = (key, kind, field) =>
  samples[`${kind} ${key}`].map((s, i) => s[field] / samples[`connect-redis ${key}`][i][field]);
const sideRatios = (key, kind) => sideSamples[key].map((cpu) => cpu[kind] / cpu['connect-redis']);
const ratioText = (ratios) =>
  `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
const targetRows = [];
for (const kind of ['lbkit-node-redis', 'lbkit', 'before-lbkit-node-redis', 'before-lbkit']) {
  const checks = [
    ['write-heavy throughput ≥ 1.0×', roundRatios('write-heavy', kind, 'rps'), (r) => r >= 1],
    ['read-mostly throughput ≥ 1.05×', roundRatios('read-mostly', kind, 'rps'), (r) => r >= 1.05],
    [
      'write-heavy side-by-side server CPU per request ≤ 1.0×',
      sideRatios('write-heavy', kind),
      (r) => r <= 1,
    ],
    [
      'read-mostly side-by-side server CPU per request ≤ 1.0×',
      sideRatios('read-mostly', kind),
      (r) => r <= 1,
    ],
    [
      'write-heavy Redis CPU per request ≤ 1.3×',
      roundRatios('write-heavy', kind, 'redisUs'),
      (r) => r <= 1.3,
    ],
  ];
  for (const [target, ratios, ok] of checks) {
    targetRows.push(
      `| ${labels[kind]}: ${target} | ${ratioText(ratios)} | ${ok(median(ratios)) ? 'met' : 'not met'} |`,
    );
  }
}
const markdown = `## session: RedisSessionStore vs connect-redis 9 behind express-session

Reproduce: \`npx tsc -b && node bench/session/run.mjs\` (env \`ROUNDS\`, \`DURATION_S\`, \`CONNECTIONS\`, \`SIDE_BY_SIDE_RATE\`).

One private redis-server (no persistence); each store runs in its own express-session server process
(autocannon in the parent process). \`lbkit (ioredis)\` is RedisSessionStore on ioredis 5 with the options its
README recommends (\`maxRetriesPerRequest\` 1; every store command bounded by the store's \`commandTimeoutMs\` 1000,
so no ioredis \`commandTimeout\`). \`lbkit (node-redis)\` is the same store on a node-redis 5 \`createClient()\` with
its defaults: the client connect-redis users already have, so the switch is the store line only.
\`connect-redis\` is connect-redis 9.0.0 on node-redis 5 (the client it requires, its defaults: no command timeout).
\`reference: connect-redis + compare-and-set\` (\`bench/session/cas-floor.mjs\`, not a store to use) is connect-redis's
design (one string per session, GET, whole-session JSON, node-redis) with only the condition that a store which never
loses a concurrent write and never resurrects a session needs added to its save: one EVALSHA that writes only if the
version the request read is still stored (GETRANGE, then SET). It has none of lbkit's other work (merge on conflict,
tombstones, id validation, command deadlines, fail modes), so what it costs beside connect-redis is the price of the
conditional write alone.
${CONNECTIONS} connections on loopback, each with its own session (seeded with two top-level keys), ${ROUNDS} rounds of
${DURATION_S} s per workload after a 1 s warm-up, each round running the six stores back to back (each round
starting with the next store); figures are medians of the rounds, the ratio is the median of the per-round
ratios with their range. CPU per request is the server process's \`process.cpuUsage()\` and redis-server's
\`INFO cpu\` over each run divided by the requests completed. Redis commands per request come from
\`INFO commandstats\` deltas over each run (\`CONFIG RESETSTAT\` before it) divided by the requests autocannon
completed. *Sent* counts the commands the store sends (round trips; counted in lbkit's server process), for
connect-redis every command. *Executed* also counts the commands lbkit's Lua scripts run inside Redis
(commandstats includes them), which cost Redis CPU but no round trip.

| workload | store | req/s | vs connect-redis (median per-round ratio) | ratio range | p99 ms | server CPU µs / request | Redis CPU µs / request | commands sent / request | executed / request | per command / request (last round) | req/s per round |
|---|---|---:|---:|---|---:|---:|---:|---:|---:|---|---|
${rows.join('\n')}

${verdicts.join('; ')}.

**Side by side**: the six servers loaded at once, ${SIDE_BY_SIDE_RATE} req/s each (below saturation), ${ROUNDS} rounds of
${DURATION_S} s per workload; server CPU per request, median, and its ratio to connect-redis's in the same round
(median, range). The machine's other load weighs on all of them alike, so this ratio is steadier than req/s.

| workload | store | server CPU µs / request | vs connect-redis (median per-round ratio) | ratio range |
|---|---|---:|---:|---|
${sideRows.join('\n')}

Why: an unmodified read costs lbkit one plain HGETALL (no script); the rolling touch is decided in the store from
the hash it read and sent (one EVALSHA) about once per session per freshness window, where connect-redis sends GET
then EXPIRE on every read. A modified session costs every store two commands sent (read, then write). lbkit's save
of changed keys is one EVALSHA: while Redis extended the session less than the freshness window ago, one HSET of the
changed fields, whose count of created fields is the check that the session still exists (so a logged-out session
is never written back); once the window has passed, PEXPIRE (the check, and the extension) then HSET. Before
issue #18 every save ran both: ${writeHeavy.lbkit.executed.toFixed(2)} commands executed per request now, ${writeHeavy['before-lbkit'].executed.toFixed(2)} before,
against connect-redis's ${writeHeavy.base.executed.toFixed(2)} (GET, SET). The reference (connect-redis's design with only the compare-and-set added) shows
what the condition alone costs: ${writeHeavy['cas-floor'].ratio.toFixed(2)}× connect-redis's write-heavy throughput (per round ${floorRange('write-heavy')}),
${writeHeavy['cas-floor'].redisUs.toFixed(0)} µs of Redis CPU per request, ${sideRatio('write-heavy', 'cas-floor')} its server CPU side by side. \`before:\` is the store as it was before
issue #18 (\`bench/session/baseline.mjs\` builds it from git); the in-process cost of a read and a save, store by store, is the
\`session-cost\` section (\`bench/session/cost.mjs\`).

| target (issue #18) | measured (median per-round ratio to connect-redis, range) | state |
|---|---|---|
${targetRows.join('\n')}

Failed answers over the whole run (errors and non-2xx, each run aborts above 1 in 1000): ${
  Object.keys(failures).length === 0
    ? 'none'
    : Object.entries(failures)
        .map(([kind, n]) => `${labels[kind]} ${n}`)
        .join(', ')
}.

${machine()}. Load average at start ${loadAtStart}; the machine is shared with other work while benchmarks run, so compare
the ratios within this run, not the absolute figures.
`;
writeSection('session', markdown);
console.log(markdown);
