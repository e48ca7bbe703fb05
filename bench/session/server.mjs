// One bench server: express-session on lbkit's RedisSessionStore (ioredis or node-redis), connect-redis 9 (node-redis) or the
// compare-and-set reference (cas-floor.mjs, node-redis), in its own process.
import { RedisSessionStore } from '@lbkit/session-redis';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { loadBaseline } from './baseline.mjs';
import { CasFloorStore } from './cas-floor.mjs';

const [kind, redisPort] = process.argv.slice(2);
let store;
let closeClient;
/** Commands the store's client sent (round trips); undefined for connect-redis, whose commands INFO commandstats counts. */
let sent;

/**
 * Counts what `client` sends (both clients route every command through `sendCommand`): INFO
 * commandstats counts the commands Lua scripts run beside those it sends (a plain HGETALL and
 * the read script's HGETALL look the same there).
 */
function countSent(client) {
  sent = 0;
  const sendCommand = client.sendCommand.bind(client);
  client.sendCommand = (...args) => {
    sent++;
    return sendCommand(...args);
  };
}
if (kind === 'lbkit-durable') {
  // bench/session/durability.mjs: the same store, every save confirmed by one replica (WAIT 1 250).
  const client = new Redis(Number(redisPort), '127.0.0.1', { maxRetriesPerRequest: 1 });
  countSent(client);
  store = new RedisSessionStore({ client, durability: { replicas: 1 } });
  closeClient = () => client.disconnect();
} else if (kind === 'before-lbkit' || kind === 'before-lbkit-node-redis') {
  // The store as it was before issue #18 (baseline.mjs), on the same clients and options.
  const { RedisSessionStore: BaselineStore } = await loadBaseline();
  let client;
  if (kind === 'before-lbkit') {
    client = new Redis(Number(redisPort), '127.0.0.1', { maxRetriesPerRequest: 1 });
    closeClient = () => client.disconnect();
  } else {
    client = createClient({ url: `redis://127.0.0.1:${redisPort}` });
    await client.connect();
    closeClient = () => client.quit();
  }
  countSent(client);
  store = new BaselineStore({ client });
} else if (kind === 'lbkit') {
  // The options the README recommends: the store bounds its own commands (commandTimeoutMs), so no
  // ioredis commandTimeout (one timer per command); the store coalesces its commands per event-loop turn.
  const client = new Redis(Number(redisPort), '127.0.0.1', { maxRetriesPerRequest: 1 });
  countSent(client);
  store = new RedisSessionStore({ client });
  closeClient = () => client.disconnect();
} else if (kind === 'lbkit-node-redis') {
  // The client connect-redis 9 requires, with its defaults: switching stores keeps the client.
  const client = createClient({ url: `redis://127.0.0.1:${redisPort}` });
  await client.connect();
  countSent(client);
  store = new RedisSessionStore({ client });
  closeClient = () => client.quit();
} else if (kind === 'connect-redis' || kind === 'cas-floor') {
  const client = createClient({ url: `redis://127.0.0.1:${redisPort}` });
  await client.connect();
  store = kind === 'connect-redis' ? new RedisStore({ client }) : new CasFloorStore(client);
  closeClient = () => client.quit();
} else {
  throw new Error(
    'usage: server.mjs lbkit|lbkit-durable|lbkit-node-redis|before-lbkit|before-lbkit-node-redis|connect-redis|cas-floor <redis port>',
  );
}

const app = express();
app.disable('x-powered-by');
app.use(
  session({
    secret: 'lbkit-bench-session-secret-0123456789',
    store,
    resave: false,
    saveUninitialized: false,
    cookie: { maxAge: 3_600_000 },
  }),
);
app.post('/seed', (req, res) => {
  req.session.views = 0;
  req.session.user = { id: 42, name: 'Ada Lovelace', roles: ['reader', 'writer'] };
  res.json({ ok: true });
});
// Reads the session without changing it: express-session then calls store.touch (rolling expiry).
app.get('/read', (req, res) => {
  res.json({ views: req.session.views ?? null, user: req.session.user?.name ?? null });
});
// Changes one top-level key: express-session then calls store.set.
app.post('/write', (req, res) => {
  req.session.views = (req.session.views ?? 0) + 1;
  res.json({ views: req.session.views });
});

const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
process.send({ port: server.address().port });
// CPU time of this process, so the bench can compare CPU per request (steadier than req/s on a shared machine).
process.on('message', (message) => {
  if (message === 'cpu')
    process.send({ cpu: process.cpuUsage(), sent: kind === 'cas-floor' ? store.sent : sent });
});
process.on('disconnect', async () => {
  server.close();
  await closeClient();
  process.exit(0);
});
