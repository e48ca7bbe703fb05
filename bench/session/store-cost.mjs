// CPU of one session read and save inside a process, without HTTP: each store on each client, lbkit before and
// after issue #18 (baseline.mjs builds the store as it was), each store's own JS alone, and Redis's CPU per cycle.
import { RedisSessionStore } from '@lbkit/session-redis';
import { RedisStore } from 'connect-redis';
import session from 'express-session';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { deltaSetScript, freshSetScript } from '../../packages/session-redis/dist/scripts.js';
import { loadBaseline } from './baseline.mjs';

const baseline = await loadBaseline();
const BaselineStore = baseline.RedisSessionStore;
const baselineDeltaSet = baseline.scripts.deltaSetScript;

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
  return { us: (used.user + used.system) / cycles, cycles };
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
 * short save scripts `shortShas` and the touch scripts, ['ok'] from the general write script): no socket, no parsing.
 */
function cannedClient(hash, shortShas) {
  // An ioredis-shaped client: the store recognises drivers by their classes (a Commander base), not by method names.
  class Commander {}
  // The stored expiry moves with the clock (once a second), as every save moves it in Redis: a frozen one would
  // make the rolling touch fall due after a minute, and the reads would turn into touches.
  const exp = hash.indexOf('exp') + 1;
  let fresh = hash.slice();
  let freshUntil = 0;
  const current = () => {
    const now = Date.now();
    if (exp > 0 && now >= freshUntil) {
      fresh = hash.slice();
      fresh[exp] = String(now + 3_600_000);
      freshUntil = now + 1000;
    }
    return fresh.slice();
  };
  return Object.assign(new Commander(), {
    isCluster: false,
    status: 'ready',
    options: {},
    on() {},
    off() {},
    call: () => Promise.resolve(current()),
    evalsha: (sha, numberOfKeys) =>
      Promise.resolve(numberOfKeys === 1 || shortShas.includes(sha) ? 1 : ['ok']),
    ping: () => Promise.resolve('PONG'),
  });
}

/** connect-redis's own JS alone: a node-redis-shaped client that answers GET with `text` and SET/EXPIRE at once. */
function cannedConnectRedisClient(text) {
  return {
    get: () => Promise.resolve(text),
    set: () => Promise.resolve('OK'),
    expire: () => Promise.resolve(1),
    del: () => Promise.resolve(1),
  };
}

/**
 * connect-redis 9 speaks node-redis's API; on ioredis (which connect-redis 7 took directly) it gets the same four
 * commands through this thin adapter, so both stores are compared on the same client.
 */
function connectRedisOnIoredis(ioredis) {
  return {
    get: (key) => ioredis.get(key),
    set: (key, value, options) =>
      options?.expiration
        ? ioredis.set(key, value, options.expiration.type, options.expiration.value)
        : ioredis.set(key, value),
    expire: (key, seconds) => ioredis.expire(key, seconds),
    del: (keys) => ioredis.del(...[keys].flat()),
  };
}

/**
 * Redis CPU µs so far (INFO cpu, user + system: commands, scripts and socket I/O), and each command's calls and µs
 * (INFO commandstats; the commands a script runs count there too, inside the script's own µs).
 */
async function redisCounters(admin) {
  const info = await admin.info('all');
  const value = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  const commands = {};
  for (const [, name, calls, usec] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    if (name !== 'info' && !name.startsWith('config'))
      commands[name] = { calls: Number(calls), usec: Number(usec) };
  }
  return { cpu: (value('used_cpu_user') + value('used_cpu_sys')) * 1e6, commands };
}

/** Per command, calls and µs per cycle between two counters (what a read-change-save runs in Redis). */
function commandsPerCycle(before, after, cycles) {
  const out = {};
  for (const [name, { calls, usec }] of Object.entries(after.commands)) {
    const was = before.commands[name] ?? { calls: 0, usec: 0 };
    if (calls > was.calls)
      out[name] = { calls: (calls - was.calls) / cycles, us: (usec - was.usec) / cycles };
  }
  return out;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * `rounds` interleaved rounds of `ms` each (after one warm-up), every store in each round, the order rotating:
 * for each store the median, min and max of its CPU µs per cycle, and for stores on the Redis at `port` Redis's CPU
 * per cycle (INFO cpu, which includes reading and writing the sockets) with the commands of the last round (commandstats).
 */
export async function storeCost(port, { rounds = 3, ms = 2000 } = {}) {
  const admin = new Redis(port, '127.0.0.1');
  const clients = [];
  const ioredis = () => {
    const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    clients.push(() => client.disconnect());
    return client;
  };
  const nodeRedis = async () => {
    const client = createClient({ url: `redis://127.0.0.1:${port}` });
    await client.connect();
    clients.push(() => client.quit());
    return client;
  };
  // Each store has its own client: sharing one would mix their commands in one queue.
  const stores = {
    'connect-redis (node-redis)': new RedisStore({ client: await nodeRedis(), prefix: 'cr-nr:' }),
    'connect-redis (ioredis)': new RedisStore({ client: connectRedisOnIoredis(ioredis()), prefix: 'cr-io:' }),
    'lbkit (node-redis)': new RedisSessionStore({ client: await nodeRedis(), prefix: 'lb-nr:' }),
    'lbkit (ioredis)': new RedisSessionStore({ client: ioredis(), prefix: 'lb-io:' }),
    'before: lbkit (node-redis)': new BaselineStore({ client: await nodeRedis(), prefix: 'old-nr:' }),
    'before: lbkit (ioredis)': new BaselineStore({ client: ioredis(), prefix: 'old-io:' }),
  };
  for (const store of Object.values(stores)) await seed(withExpress(store));
  const onRedis = new Set(Object.keys(stores));
  // The canned clients answer what Redis holds for the first seeded session.
  const sessionHash = async (prefix) => admin.call('HGETALL', `${prefix}{${ids[0]}}`);
  stores['lbkit JS only'] = withExpress(
    new RedisSessionStore({
      client: cannedClient(await sessionHash('lb-io:'), [deltaSetScript.sha, freshSetScript.sha]),
      prefix: 'lb-io:',
    }),
  );
  stores['before: lbkit JS only'] = withExpress(
    new BaselineStore({
      client: cannedClient(await sessionHash('old-io:'), [baselineDeltaSet.sha]),
      prefix: 'old-io:',
    }),
  );
  stores['connect-redis JS only'] = withExpress(
    new RedisStore({
      client: cannedConnectRedisClient(await admin.get(`cr-nr:${ids[0]}`)),
      prefix: 'cr-nr:',
    }),
  );
  // ONLY (a regular expression) limits the run to the stores it matches, while working on one of them.
  const names = Object.keys(stores).filter(
    (name) => !process.env.ONLY || new RegExp(process.env.ONLY).test(name),
  );
  const samples = Object.fromEntries(
    names.map((name) => [name, { us: [], redisUs: [], commands: undefined }]),
  );
  for (let round = 0; round <= rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) {
      const before = onRedis.has(name) ? await redisCounters(admin) : undefined;
      const { us, cycles } = await cpuPerCycle(stores[name], round === 0 ? ms / 2 : ms);
      if (round === 0) continue;
      samples[name].us.push(us);
      if (before) {
        const after = await redisCounters(admin);
        samples[name].redisUs.push((after.cpu - before.cpu) / cycles);
        samples[name].commands = commandsPerCycle(before, after, cycles);
      }
    }
  }
  for (const store of Object.values(stores)) store.close?.();
  for (const close of clients) await close();
  admin.disconnect();
  // Per-round values too: every store runs in every round, so per-round ratios cancel the machine's drift.
  const perRound = Object.fromEntries(
    names.map((name) => [name, { us: samples[name].us, redisUs: samples[name].redisUs }]),
  );
  const summary = (values) =>
    values.length === 0
      ? undefined
      : { median: median(values), min: Math.min(...values), max: Math.max(...values) };
  return Object.fromEntries(
    names.map((name) => [
      name,
      {
        us: summary(samples[name].us),
        redisUs: summary(samples[name].redisUs),
        commands: samples[name].commands,
        rounds: perRound[name],
      },
    ]),
  );
}
