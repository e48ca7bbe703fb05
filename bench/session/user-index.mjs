// The cost of the user index (userKey, "log out everywhere") per save: read + change + save of a session with a
// user, on a store without and with userKey, interleaved rounds on one private redis-server. Writes `session-user-index`.
// Run: npx -y pnpm@10.34.8 build && node bench/session/user-index.mjs   (ROUNDS, ROUND_MS, ONLY=1 for figures only)
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { RedisSessionStore } from '@lbkit/session-redis';
import { Redis } from 'ioredis';
import { machine, writeSection } from '../lib/results.mjs';
import { startRedis } from './redis-server.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ROUND_MS = Number(process.env.ROUND_MS ?? 1000);
const SESSIONS = 200;

async function redisCpuUs(admin) {
  const info = await admin.info('cpu');
  const value = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (value('used_cpu_user') + value('used_cpu_sys')) * 1e6;
}

const redis = await startRedis();
const clients = [];
const variants = {};
try {
  for (const [name, options] of [
    ['no index', {}],
    ['userKey index', { userKey: 'userId' }],
  ]) {
    const client = new Redis(redis.port, '127.0.0.1');
    clients.push(client);
    const store = new RedisSessionStore({
      client,
      prefix: `${name === 'no index' ? 'a' : 'b'}:`,
      ...options,
    });
    const ids = [];
    for (let i = 0; i < SESSIONS; i++) {
      const id = randomBytes(24).toString('base64url');
      ids.push(id);
      await store.set(id, {
        cookie: { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000) },
        userId: `u${i % 20}`,
        n: 0,
      });
    }
    variants[name] = { store, ids, us: [], redisUs: [] };
  }
  /** One round: as many read + change + save cycles as fit in ROUND_MS, one at a time. */
  const round = async (variant) => {
    const cpu0 = await redisCpuUs(redis.admin);
    const started = performance.now();
    let cycles = 0;
    while (performance.now() - started < ROUND_MS) {
      const id = variant.ids[cycles % variant.ids.length];
      const session = await variant.store.get(id);
      session.n = cycles;
      await variant.store.set(id, session);
      cycles++;
    }
    const elapsed = performance.now() - started;
    const cpu1 = await redisCpuUs(redis.admin);
    variant.us.push((elapsed * 1000) / cycles);
    variant.redisUs.push((cpu1 - cpu0) / cycles);
  };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['no index', 'userKey index'] : ['userKey index', 'no index'];
    for (const name of order) await round(variants[name]);
  }
} finally {
  for (const variant of Object.values(variants)) variant.store.close();
  for (const client of clients) client.disconnect();
  redis.admin.disconnect();
  redis.stop();
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const f2 = (n) => n.toFixed(2);
const ratios = (field) => variants['userKey index'][field].map((v, i) => v / variants['no index'][field][i]);
const ratioText = (field) => {
  const r = ratios(field);
  return `${f2(median(r))}× (${f2(Math.min(...r))}–${f2(Math.max(...r))})`;
};
const row = (name) => {
  const v = variants[name];
  return `| ${name} | ${f2(median(v.us))} | ${f2(Math.min(...v.us))}–${f2(Math.max(...v.us))} | ${f2(median(v.redisUs))} | ${f2(Math.min(...v.redisUs))}–${f2(Math.max(...v.redisUs))} |`;
};
const markdown = `## session-user-index

The user index of \`userKey\` ("log out everywhere") per save: read + change + save of a session that has a user,
one at a time, on a store without and with \`userKey\` (one more script call per save: ZADD, prune, PEXPIRE of the
user's sorted set). ${ROUNDS} interleaved rounds of ${ROUND_MS} ms each.

| variant | µs per cycle (median) | range | Redis CPU µs per cycle (median) | range |
| --- | --- | --- | --- | --- |
${row('no index')}
${row('userKey index')}

With the index / without, per round: wall time ${ratioText('us')}, Redis CPU ${ratioText('redisUs')}.

Reproduce: \`npx -y pnpm@10.34.8 build && node bench/session/user-index.mjs\` · ${machine()}
`;
if (process.env.ONLY) console.log(markdown);
else {
  writeSection('session-user-index', markdown);
  console.log(markdown);
}
