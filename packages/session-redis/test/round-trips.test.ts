// Round trips per request: one for an unmodified read (rolling touch included), two for a modified one; EVALSHA with NOSCRIPT fallback.
import { RedisSessionStore } from '@lbkit/session-redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedis, type PrivateRedis, startRedis } from '../../../test/helpers/redis.js';
import { Browser, frameworks, type RunningApp } from './harness.js';

/** Records the name of every command the client sends. */
function recordCommands(client: Redis): string[] {
  const sent: string[] = [];
  const original = client.sendCommand.bind(client);
  client.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
    sent.push(command.name);
    return (original as (...args: unknown[]) => unknown)(command, ...rest);
  }) as typeof client.sendCommand;
  return sent;
}

async function commandCalls(inspect: Redis): Promise<Record<string, number>> {
  const info = await inspect.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2]);
  return calls;
}

describe.runIf(hasRedis())('Redis round trips per request', () => {
  let redis: PrivateRedis;
  let inspect: Redis;
  const clients: Redis[] = [];
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    inspect = new Redis(redis.port, redis.host);
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const client of clients) client.disconnect();
    inspect.disconnect();
    await redis.close();
  });

  async function setup(framework: (typeof frameworks)[number], rolling: boolean) {
    const client = new Redis(redis.port, redis.host, { commandTimeout: 1000, maxRetriesPerRequest: 1 });
    clients.push(client);
    await client.ping();
    const sent = recordCommands(client);
    const app = await framework.start(new RedisSessionStore({ client }), { rolling });
    apps.push(app);
    const browser = new Browser(app);
    await browser.post('/write/views', 1);
    await browser.get('/read');
    sent.length = 0;
    return { browser, sent };
  }

  describe.each(frameworks)('behind $name', (framework) => {
    it.each([true, false])('reads an unmodified session in one command (rolling: %s)', async (rolling) => {
      const { browser, sent } = await setup(framework, rolling);
      for (let i = 0; i < 5; i++) {
        sent.length = 0;
        const answer = await browser.get('/read');
        expect(answer.body.data).toEqual({ views: 1 });
        expect(sent).toEqual(['evalsha']);
      }
    });

    it('saves a modified session in one more command (two per request)', async () => {
      const { browser, sent } = await setup(framework, true);
      for (let i = 2; i < 6; i++) {
        sent.length = 0;
        await browser.post('/write/views', i);
        expect(sent).toEqual(['evalsha', 'evalsha']);
      }
      expect((await browser.get('/read')).body.data).toEqual({ views: 5 });
    });

    it('does not rewrite a session read again within its freshness window', async () => {
      const { browser } = await setup(framework, true);
      const before = await commandCalls(inspect);
      for (let i = 0; i < 5; i++) await browser.get('/read');
      const after = await commandCalls(inspect);
      expect((after.hset ?? 0) - (before.hset ?? 0)).toBe(0);
      expect((after.pexpire ?? 0) - (before.pexpire ?? 0)).toBe(0);
      expect((after.hgetall ?? 0) - (before.hgetall ?? 0)).toBe(5);
    });
  });

  it('reloads its scripts with EVAL after SCRIPT FLUSH (NOSCRIPT), then uses EVALSHA again', async () => {
    const { browser, sent } = await setup(frameworks[0]!, false);
    await inspect.script('FLUSH');
    expect((await browser.get('/read')).body.data).toEqual({ views: 1 });
    expect(sent).toEqual(['evalsha', 'eval']);
    sent.length = 0;
    await browser.get('/read');
    expect(sent).toEqual(['evalsha']);
  });

  it('sends the scripts of concurrent requests as one pipeline, with the NOSCRIPT fallback per script', async () => {
    const { browser, sent } = await setup(frameworks[0]!, false);
    const tabs = Array.from({ length: 8 }, () => browser.clone());
    await inspect.script('FLUSH');
    const answers = await Promise.all(tabs.map((tab, i) => tab.post(`/write/k${i}`, i)));
    for (const answer of answers) expect(answer.status).toBe(200);
    const data = (await browser.get('/read')).body.data as Record<string, unknown>;
    for (let i = 0; i < 8; i++) expect(data[`k${i}`]).toBe(i);
    expect(sent.filter((name) => name === 'eval').length).toBeGreaterThan(0);
  });
});
