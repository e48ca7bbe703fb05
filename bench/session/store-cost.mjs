// CPU of one session read and save inside a process, without HTTP: each store with its client, and lbkit's own JS alone.
import { RedisSessionStore } from '@lbkit/session-redis';
import { RedisStore } from 'connect-redis';
import session from 'express-session';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
// The short save script's hash, so the canned client answers it as Redis does (1), not as the general write script.
import { deltaSetScript } from '../../packages/session-redis/dist/scripts.js';

const SESSIONS = 50;
const ids = Array.from({ length: SESSIONS }, (_, i) =>
  `storecost${String(i).padStart(2, '0')}`.padEnd(32, 'x'),
);
const promised = (call) =>
  new Promise((resolve, reject) => call((error, value) => (error ? reject(error) : resolve(value))));

/** What express-session does with a store per request of the write-heavy route: load, change one key, save. */
async function readChangeSave(store, id) {
  const data = await promised((cb) => store.get(id, cb));
  const req = { sessionID: id, sessionStore: store, headers: {} };
  store.createSession(req, data);
  req.session.views = (req.session.views ?? 0) + 1;
  req.session.touch();
  await promised((cb) => store.set(id, req.session, cb));
}

/** CPU µs per read-change-save, SESSIONS sessions in parallel (as the HTTP bench's connections), over `ms`. */
async function cpuPerCycle(store, ms) {
  let cycles = 0;
  // A clock check, not a timer: with the canned client everything runs in microtasks and a timer never fires.
  const end = performance.now() + ms;
  const before = process.cpuUsage();
  await Promise.all(
    ids.map(async (id) => {
      while (performance.now() < end) {
        await readChangeSave(store, id);
        cycles++;
      }
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / cycles;
}

function withExpress(store) {
  // express-session assigns store.generate, which both stores' createSession rely on.
  session({
    store,
    secret: 'lbkit-bench-store-cost-0123456789',
    resave: false,
    saveUninitialized: false,
    cookie: { maxAge: 3_600_000 },
  });
  return store;
}

async function seed(store) {
  for (const id of ids) {
    const req = { sessionID: id, sessionStore: store, headers: {} };
    store.generate(req);
    req.session.views = 0;
    req.session.user = { id: 42, name: 'Ada Lovelace', roles: ['reader', 'writer'] };
    await promised((cb) => store.set(id, req.session, cb));
  }
}

/**
 * A client that answers at once with `hash` for every read and success for every script (1 from the
 * short save and the touch scripts, ['ok'] from the general write script): no socket, no parsing.
 */
function cannedClient(hash) {
  // An ioredis-shaped client: the store recognises drivers by their classes (a Commander base), not by method names.
  class Commander {}
  return Object.assign(new Commander(), {
    isCluster: false,
    status: 'ready',
    options: {},
    on() {},
    off() {},
    call: () => Promise.resolve(hash.slice()),
    evalsha: (sha, numberOfKeys) =>
      Promise.resolve(numberOfKeys === 1 || sha === deltaSetScript.sha ? 1 : ['ok']),
    ping: () => Promise.resolve('PONG'),
  });
}

/**
 * Median of `rounds` runs of `ms` each (after one warm-up) for: lbkit on ioredis and on node-redis,
 * connect-redis on node-redis (all on the Redis at `port`), and lbkit on a canned client (its own JS only).
 */
export async function storeCost(port, { rounds = 3, ms = 2000 } = {}) {
  const ioredis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  const nodeRedis = createClient({ url: `redis://127.0.0.1:${port}` });
  await nodeRedis.connect();
  // lbkit's own node-redis client: sharing connect-redis's would mix their commands in one queue.
  const ourNodeRedis = createClient({ url: `redis://127.0.0.1:${port}` });
  await ourNodeRedis.connect();
  const stores = {
    lbkit: withExpress(new RedisSessionStore({ client: ioredis, prefix: 'cost:' })),
    'lbkit node-redis': withExpress(new RedisSessionStore({ client: ourNodeRedis, prefix: 'cost-nr:' })),
    'connect-redis': withExpress(new RedisStore({ client: nodeRedis, prefix: 'cost:' })),
  };
  await seed(stores.lbkit);
  await seed(stores['lbkit node-redis']);
  await seed(stores['connect-redis']);
  // The canned client answers what Redis holds for the first seeded session.
  const hash = await ioredis.call('HGETALL', `cost:{${ids[0]}}`);
  stores['lbkit JS only'] = withExpress(
    new RedisSessionStore({ client: cannedClient(hash), prefix: 'cost:' }),
  );
  const samples = Object.fromEntries(Object.keys(stores).map((name) => [name, []]));
  for (let round = 0; round <= rounds; round++) {
    for (const [name, store] of Object.entries(stores)) {
      const us = await cpuPerCycle(store, round === 0 ? ms / 2 : ms);
      if (round > 0) samples[name].push(us);
    }
  }
  stores.lbkit.close();
  stores['lbkit node-redis'].close();
  await ourNodeRedis.quit();
  stores['lbkit JS only'].close();
  ioredis.disconnect();
  await nodeRedis.quit();
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}
