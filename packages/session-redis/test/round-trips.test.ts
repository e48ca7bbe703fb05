// Round trips per request: one for an unmodified read (rolling touch included), two for a modified one; EVALSHA with NOSCRIPT fallback.

import { setTimeout as sleep } from 'node:timers/promises';
import { RedisSessionStore } from '@lbkit/session-redis';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { hasRedis } from '../../../test/helpers/redis.js';
import type { StoredSession } from '../src/types.js';
import { Browser, frameworks, newId, sessionWith, useRedis } from './harness.js';

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

/** The commands sent, without the EVAL that loads a script the first time this Redis runs it. */
function withoutLoads(sent: string[]): string[] {
  return sent.filter((name) => name !== 'eval');
}

async function commandCalls(inspect: Redis): Promise<Record<string, number>> {
  const info = await inspect.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2]);
  return calls;
}

describe.runIf(hasRedis())('Redis round trips per request', () => {
  const fixture = useRedis();

  // An hour's cookie by default: its touch falls due 36 s after each extension (1% of the lifetime),
  // so a slow machine never makes one due in the middle of a test that counts commands.
  async function setup(framework: (typeof frameworks)[number], rolling: boolean, maxAgeMs = 3_600_000) {
    const client = fixture.client();
    await client.ping();
    const sent = recordCommands(client);
    const app = fixture.track(
      await framework.start(new RedisSessionStore({ client }), { rolling, maxAgeMs }),
    );
    const browser = new Browser(app);
    // A full write, then a delta one: Redis has loaded both write scripts before the test counts.
    await browser.post('/write/views', 0);
    await browser.post('/write/views', 1);
    await browser.get('/read');
    sent.length = 0;
    return { browser, sent, app };
  }

  describe.each(frameworks)('behind $name', (framework) => {
    it.each([true, false])('reads an unmodified session in one command (rolling: %s)', async (rolling) => {
      const { browser, sent } = await setup(framework, rolling);
      for (let i = 0; i < 5; i++) {
        sent.length = 0;
        const answer = await browser.get('/read');
        expect(answer.body.data).toEqual({ views: 1 });
        expect(sent).toEqual(['HGETALL']);
      }
    });

    it('saves a modified session in one more command (two per request)', async () => {
      const { browser, sent } = await setup(framework, true);
      for (let i = 2; i < 6; i++) {
        sent.length = 0;
        await browser.post('/write/views', i);
        expect(sent).toEqual(['HGETALL', 'evalsha']);
      }
      expect((await browser.get('/read')).body.data).toEqual({ views: 5 });
    });

    it('does not rewrite a session read again within its freshness window', async () => {
      const { browser } = await setup(framework, true);
      const before = await commandCalls(fixture.inspect);
      for (let i = 0; i < 5; i++) await browser.get('/read');
      const after = await commandCalls(fixture.inspect);
      expect((after.hset ?? 0) - (before.hset ?? 0)).toBe(0);
      expect((after.pexpire ?? 0) - (before.pexpire ?? 0)).toBe(0);
      expect((after.hgetall ?? 0) - (before.hgetall ?? 0)).toBe(5);
      expect((after.evalsha ?? 0) - (before.evalsha ?? 0)).toBe(0);
    });

    it('touches a session whose touch is due after reading it, in a second command', async () => {
      const { browser, sent } = await setup(framework, false);
      const key = `sess:{${browser.sessionId}}`;
      // Leave it 10 s to live behind this process's back: its touch is due, and only the data says so.
      await fixture.inspect.pexpire(key, 10_000);
      await fixture.inspect.hset(key, 'exp', String(Date.now() + 10_000));
      expect((await browser.get('/read')).body.data).toEqual({ views: 1 });
      expect(withoutLoads(sent)).toEqual(['HGETALL', 'evalsha']);
      expect(await fixture.inspect.pttl(key)).toBeGreaterThan(3_500_000);
    });

    it('reads and touches in one command a session this process knows is due', async () => {
      const { browser, sent } = await setup(framework, false, 60_000);
      const key = `sess:{${browser.sessionId}}`;
      const expBefore = Number(await fixture.inspect.hget(key, 'exp'));
      // The cookie's maxAge is 60 s, so the touch falls due 1 s (the minimum window) after the last extension.
      await sleep(1100);
      sent.length = 0;
      expect((await browser.get('/read')).body.data).toEqual({ views: 1 });
      expect(withoutLoads(sent)).toEqual(['evalsha']);
      expect(Number(await fixture.inspect.hget(key, 'exp'))).toBeGreaterThan(expBefore);
      sent.length = 0;
      await browser.get('/read');
      expect(sent).toEqual(['HGETALL']);
    });
  });

  it("takes express-session's millisecond drift of originalMaxAge for no change, and a remember-me switch for one", async () => {
    const client = fixture.client();
    const store = new RedisSessionStore({ client });
    const id = newId();
    const key = `sess:{${id}}`;
    await store.set(id, sessionWith({ views: 1 }, 3_600_000));
    const read = (await store.get(id)) as StoredSession & { cookie: { originalMaxAge: number } };
    const sent = recordCommands(client);
    // express-session's resetMaxAge at the end of a request leaves it 1 ms short when the clock ticks.
    read.cookie.originalMaxAge = 3_599_999;
    await store.touch(id, read);
    await store.set(id, read);
    expect(sent).toEqual([]);
    expect(await fixture.inspect.hget(key, 'ma')).toBe('3600000');
    expect(JSON.parse((await fixture.inspect.hget(key, 'cookie')) ?? '{}').originalMaxAge).toBe(3_600_000);
    read.cookie.originalMaxAge = 30 * 86_400_000;
    await store.touch(id, read);
    expect(withoutLoads(sent)).toEqual(['evalsha']);
    expect(await fixture.inspect.hget(key, 'ma')).toBe(String(30 * 86_400_000));
    store.close();
  });

  it('reloads its scripts with EVAL after SCRIPT FLUSH (NOSCRIPT), then uses EVALSHA again', async () => {
    const { browser, sent } = await setup(frameworks[0]!, false);
    await fixture.inspect.script('FLUSH');
    await browser.post('/write/views', 2);
    expect(sent).toEqual(['HGETALL', 'evalsha', 'eval']);
    sent.length = 0;
    await browser.post('/write/views', 3);
    expect(sent).toEqual(['HGETALL', 'evalsha']);
    expect((await browser.get('/read')).body.data).toEqual({ views: 3 });
  });

  it('sends the scripts of concurrent requests as one pipeline, with the NOSCRIPT fallback per script', async () => {
    const { browser, sent } = await setup(frameworks[0]!, false);
    const tabs = Array.from({ length: 8 }, () => browser.clone());
    await fixture.inspect.script('FLUSH');
    const answers = await Promise.all(tabs.map((tab, i) => tab.post(`/write/k${i}`, i)));
    for (const answer of answers) expect(answer.status).toBe(200);
    const data = (await browser.get('/read')).body.data as Record<string, unknown>;
    for (let i = 0; i < 8; i++) expect(data[`k${i}`]).toBe(i);
    expect(sent.filter((name) => name === 'eval').length).toBeGreaterThan(0);
  });
});
