// The connect-redis migration example: its store round-trips sessions through express-session as connect-redis 9 does.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedis, type PrivateRedis, startRedis } from '../../../test/helpers/redis.js';
import { sessionApp, sessionStore } from '../../../test/migration/from-connect-redis.js';

type NodeRedis = ReturnType<typeof createClient>;

/** A cookie-keeping client of one app. */
function browser(base: string, startWith = '') {
  let cookie = startWith;
  const ask = async (method: string, path: string) => {
    const res = await fetch(`${base}${path}`, { method, headers: cookie ? { cookie } : {} });
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!;
    return { status: res.status, body: (await res.json()) as unknown, id: sidOf(cookie) };
  };
  return { ask, id: () => sidOf(cookie), cookie: () => cookie };
}

/** The session id inside express-session's signed cookie value (`s:<id>.<signature>`). */
function sidOf(cookie: string): string {
  return (
    decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
      .slice(2)
      .split('.')[0] ?? ''
  );
}

describe.runIf(hasRedis())('migrating from connect-redis: the README example', () => {
  const servers: PrivateRedis[] = [];
  const clients: NodeRedis[] = [];
  const apps: Server[] = [];

  beforeAll(async () => {
    servers.push(await startRedis(), await startRedis());
  });
  afterAll(async () => {
    for (const app of apps) {
      app.closeAllConnections();
      app.close();
    }
    for (const client of clients) await client.quit();
    for (const server of servers) await server.close();
  });

  const connect = async (server: PrivateRedis): Promise<NodeRedis> => {
    const client = createClient({ url: server.url });
    client.on('error', () => {});
    await client.connect();
    clients.push(client);
    return client;
  };
  const listen = async (store: Parameters<typeof sessionApp>[0]): Promise<string> => {
    const app = sessionApp(store).listen(0, '127.0.0.1');
    apps.push(app);
    await new Promise((resolve) => app.once('listening', resolve));
    return `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  };

  /** Both apps, each on its own Redis: lbkit's example store, and connect-redis with the options it replaced. */
  async function sideBySide() {
    const lbkitRedis = await connect(servers[0]!);
    const connectRedis = await connect(servers[1]!);
    const lbkit = sessionStore(lbkitRedis);
    const anchor = new RedisStore({ client: connectRedis, prefix: 'myapp:', ttl: 3600, scanCount: 200 });
    return [
      { name: 'lbkit', store: lbkit, redis: lbkitRedis, key: (id: string) => `myapp:{${id}}` },
      { name: 'connect-redis', store: anchor, redis: connectRedis, key: (id: string) => `myapp:${id}` },
    ] as const;
  }

  it('is the code the README shows', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(
      new URL('../../../test/migration/from-connect-redis.ts', import.meta.url),
      'utf8',
    );
    expect(readme).toContain(example.slice(example.indexOf('\n') + 1));
  });

  it('reads the options connect-redis was given back from the store, as connect-redis does', async () => {
    const [lbkit, anchor] = await sideBySide();
    for (const option of ['prefix', 'ttl', 'scanCount', 'disableTTL', 'disableTouch'] as const)
      expect([option, lbkit.store[option]]).toEqual([option, anchor.store[option]]);
    expect(lbkit.store.client).toBe(lbkit.redis);
  });

  it('gives the same answers to the same set / get / touch / regenerate / destroy round trips', async () => {
    const transcripts: Record<string, unknown[]> = {};
    for (const side of await sideBySide()) {
      const client = browser(await listen(side.store));
      const seen: unknown[] = [];
      const note = (step: string, value: unknown) => seen.push([step, value]);
      const first = await client.ask('GET', '/views');
      note('new session saved (set)', first.body);
      note('stored with ttl 3600 s', Math.round((await side.redis.pTTL(side.key(first.id))) / 1000));
      note('read and changed (get, set)', (await client.ask('GET', '/views')).body);
      // An hour minus ten minutes passes: the key is aged as Redis would have aged it.
      await side.redis.pExpire(side.key(first.id), 600_000);
      if (side.name === 'lbkit')
        await side.redis.hSet(side.key(first.id), 'at', String(Date.now() - 3_000_000));
      note('read unchanged (get, touch)', (await client.ask('GET', '/whoami')).body);
      note('touch restored the ttl', Math.round((await side.redis.pTTL(side.key(first.id))) / 1000));
      const login = await client.ask('POST', '/login');
      note('regenerated on login', [login.body, login.id !== first.id]);
      note('old session gone', await side.redis.exists(side.key(first.id)));
      note('new session read', (await client.ask('GET', '/whoami')).body);
      note('store.get of it', await side.store.get(client.id()).then((s) => (s as { user?: string }).user));
      note('store.length', await side.store.length());
      note('logout (destroy)', (await client.ask('POST', '/logout')).body);
      note('after logout', (await client.ask('GET', '/whoami')).body);
      note('store.get after logout', await side.store.get(login.id));
      transcripts[side.name] = seen;
    }
    expect(transcripts.lbkit).toEqual(transcripts['connect-redis']);
    expect(transcripts.lbkit).toContainEqual(['touch restored the ttl', 3600]);
  });

  it('keeps a session connect-redis wrote: the lbkit app reads it through legacyPrefix and moves it on its next save', async () => {
    const [lbkit] = await sideBySide();
    const anchor = new RedisStore({ client: lbkit.redis, prefix: 'myapp:', ttl: 3600 });
    const before = browser(await listen(anchor));
    expect((await before.ask('GET', '/views')).body).toEqual({ views: 1 });
    const id = before.id();
    const after = browser(await listen(lbkit.store), before.cookie());
    expect((await after.ask('GET', '/views')).body).toEqual({ views: 2 });
    expect(await lbkit.redis.exists(`myapp:${id}`)).toBe(0);
    expect(await lbkit.redis.hGet(`myapp:{${id}}`, '.views')).toBe('2');
  });
});
