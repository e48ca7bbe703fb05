// The #923 scenario behind a real HAProxy: a login and three API calls at once, spread round-robin over two instances.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BalancerProcess,
  haproxyBinary,
  haproxyServerStats,
  startBalancer,
} from '../../../test/helpers/lb-process.js';
import { freePort } from '../../../test/helpers/ports.js';
import { hasRedis } from '../../../test/helpers/redis.js';
import { requireService } from '../../../test/helpers/services.js';
import type { RunningApp } from './harness.js';
import { useRedis } from './harness.js';
import { loginRace, rotationFrameworks } from './rotation-apps.js';

const runs = hasRedis() && requireService('haproxy', haproxyBinary !== undefined);

describe.runIf(runs)('session rotation behind HAProxy, two instances, no stickiness', () => {
  const fixture = useRedis();

  for (const framework of rotationFrameworks) {
    describe(framework.name, () => {
      let balancer: BalancerProcess | undefined;
      let front: RunningApp | undefined;

      beforeAll(async () => {
        // Two instances, each with its own store (and client) on the one Redis.
        const a = fixture.track(await framework.start(fixture.store({ rotationGraceMs: 300 })));
        const b = fixture.track(await framework.start(fixture.store({ rotationGraceMs: 300 })));
        const port = await freePort();
        balancer = await startBalancer({
          kind: 'haproxy',
          template: 'haproxy-session-rotation.cfg.template',
          values: { PORT: port, APP_A_PORT: new URL(a.url).port, APP_B_PORT: new URL(b.url).port },
          ports: [port],
        });
        front = { ...a, url: `http://127.0.0.1:${port}`, close: async () => {} };
      });

      afterAll(async () => {
        await balancer?.stop();
      });

      it('with rotateSession: nobody logged out, no write lost (the requests reached both instances)', async () => {
        const race = await loginRace(front!, false);
        expect(race.statuses).toEqual([200, 200, 200, 200]);
        expect(race.finalId).not.toBe(race.oldId);
        expect(race.lost).toEqual([]);
        expect(race.data).toEqual({ cart: [1], user: 1, a: 'A', b: 'B' });
        const stats = await haproxyServerStats(balancer!.dir);
        expect(Number(stats.a?.stot)).toBeGreaterThan(0);
        expect(Number(stats.b?.stot)).toBeGreaterThan(0);
      });

      it('with plain regenerate(): the browser ends logged out, every write lost (counted)', async () => {
        const race = await loginRace(front!, true);
        // Their responses put the old cookie back after the login's: the browser ends logged out.
        expect(race.lost).toEqual(['cart', 'user', 'a', 'b']);
        console.info(`[${framework.name} behind HAProxy, regenerate()] lost: ${race.lost.join(', ')}`);
      });
    });
  }
});
