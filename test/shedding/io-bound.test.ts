// I/O-bound traffic never sheds: slow routes that wait (not burn CPU) mixed with fast ones, through both demo apps.
import { Lifecycle } from '@lbkit/core';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../examples/shared/src/index.js';
import { demoServers } from '../helpers/demo-servers.js';

describe.each(['express', 'fastify'] as const)('%s demo with its default load shedding', (framework) => {
  it('answers every request of a mix of /slow (0–300 ms of waiting) and fast routes from 4 clients', async () => {
    const lifecycle = new Lifecycle();
    const app = await demoServers[framework]({
      config: readConfig({ INSTANCE_ID: `io-${framework}` }),
      lifecycle,
    });
    lifecycle.markReady();
    const agent = new Agent({ connections: 4 });
    const statuses = new Map<number, number>();
    let seed = 11;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    try {
      // 4 keep-alive clients, 60 requests each: about 4–5 s of traffic that keeps the limit's
      // windows full of slow samples while the event loop stays nearly idle.
      await Promise.all(
        [0, 1, 2, 3].map(async () => {
          for (let i = 0; i < 60; i++) {
            const path = random() < 0.5 ? `/slow?ms=${Math.floor(random() * 300)}` : '/whoami';
            const response = await request(`${app.url}${path}`, { dispatcher: agent });
            await response.body.text();
            statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
          }
        }),
      );
    } finally {
      await agent.close();
      await app.close();
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: 240 });
  });
});
