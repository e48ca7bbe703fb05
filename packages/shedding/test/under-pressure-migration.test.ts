// The README's migration example is this fixture, and it answers as @fastify/under-pressure's documented configuration does.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import underPressure from '@fastify/under-pressure';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from './fixtures/under-pressure-migration.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** under-pressure's README: message and Retry-After, plus its healthCheck with healthCheckInterval. */
async function underPressureApp(database: { healthy(): Promise<boolean> }): Promise<FastifyInstance> {
  const fastify = Fastify();
  await fastify.register(underPressure, {
    maxEventLoopDelay: 1000,
    message: 'Under pressure!',
    retryAfter: 50,
    healthCheck: async () => database.healthy(),
    healthCheckInterval: 500,
  });
  fastify.get('/', async () => ({ hello: 'world' }));
  return fastify;
}

async function answer(url: string) {
  const res = await fetch(url);
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await sleep(10);
  if (!condition()) throw new Error('condition not met in time');
}

describe('migrating from @fastify/under-pressure', () => {
  it('the README shows the example fixture as it is', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const fixture = readFileSync(new URL('./fixtures/under-pressure-migration.ts', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${fixture}\`\`\``);
  });

  it('answers as under-pressure does: 200 while healthy, 503 with Retry-After 50 and the message while not', async () => {
    let healthy = true;
    const database = { healthy: async () => healthy };
    const theirs = await underPressureApp(database);
    const ours = await buildApp(database);
    apps.push(theirs, ours);
    const urls = [
      await theirs.listen({ port: 0, host: '127.0.0.1' }),
      await ours.listen({ port: 0, host: '127.0.0.1' }),
    ];
    for (const url of urls)
      expect(await answer(url)).toEqual({ status: 200, retryAfter: null, body: { hello: 'world' } });

    healthy = false;
    await until(() => theirs.isUnderPressure() && ours.isUnderPressure());
    for (const url of urls) {
      const shed = await answer(url);
      expect(shed.status).toBe(503);
      expect(shed.retryAfter).toBe('50');
      expect(shed.body).toMatchObject({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'Under pressure!',
      });
    }

    healthy = true;
    await until(() => !theirs.isUnderPressure() && !ours.isUnderPressure());
    for (const url of urls) expect((await answer(url)).status).toBe(200);
  });
});
