// --behind takes every balancer number from @lbkit/profiles: the doctor's expected idle timeout, probe interval and keep-alive suggestion are the profile's.
import { readFileSync } from 'node:fs';
import { type BalancerProfile, PROFILE_NAMES, resolveProfile } from '@lbkit/profiles';
import { describe, expect, it } from 'vitest';
import { BALANCER_IDLE_TIMEOUTS_S } from '../src/index.js';
import { readSettings } from '../src/options.js';

const URL_ = 'http://127.0.0.1:1/';
const balancers = PROFILE_NAMES.filter(
  (name): name is BalancerProfile => resolveProfile(name, undefined, {}).balancer.name === name,
);

describe('lbkit doctor --behind and @lbkit/profiles', () => {
  it('knows every balancer profile, and only those', () => {
    expect(balancers.length).toBeGreaterThan(0);
    expect(Object.keys(BALANCER_IDLE_TIMEOUTS_S).sort()).toEqual([...balancers].sort());
  });

  it.each(balancers)(
    "expects %s's idle timeout, probe interval and keepAliveTimeout from the profile",
    (name) => {
      const profile = resolveProfile(name, undefined, {});
      const settings = readSettings(URL_, { behind: name });
      expect(settings.idle?.seconds).toBe(profile.balancer.idleTimeoutMs! / 1000);
      expect(BALANCER_IDLE_TIMEOUTS_S[name] * 1000).toBe(profile.balancer.idleTimeoutMs);
      expect(settings.idle?.keepAliveTimeoutMs).toBe(profile.server.keepAliveTimeout);
      expect(settings.idle?.source).toContain(profile.balancer.idleTimeoutSource!);
      expect(settings.probeIntervalMs).toBe(profile.balancer.healthCheckIntervalMs ?? 5000);
    },
  );

  it('takes a platform with the balancer as LBKIT_BEHIND does, and the explicit options still win', () => {
    const profile = resolveProfile('kubernetes,aws-alb', undefined, {});
    expect(readSettings(URL_, { behind: 'kubernetes,aws-alb' }).idle?.seconds).toBe(
      profile.balancer.idleTimeoutMs! / 1000,
    );
    const given = readSettings(URL_, { behind: 'aws-alb', idleTimeoutS: 75, probeIntervalS: 2 });
    expect(given.idle).toMatchObject({ seconds: 75, source: 'idleTimeoutS', keepAliveTimeoutMs: 80_000 });
    expect(given.probeIntervalMs).toBe(2000);
    expect(readSettings(URL_, { behind: 'kubernetes' }).idle).toBeUndefined();
  });

  it('refuses a name no profile has with LBKIT_DOCTOR_OPTION_INVALID, naming the closest', () => {
    expect(() => readSettings(URL_, { behind: 'aws-elb' })).toThrow(
      expect.objectContaining({
        code: 'LBKIT_DOCTOR_OPTION_INVALID',
        message: expect.stringContaining('did you mean "aws-alb"'),
      }),
    );
  });

  it("lists in the README's table the profiles' own numbers", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(
      readme.indexOf('### Known balancers'),
      readme.indexOf('## Programmatic API'),
    );
    const rows = section
      .split('\n')
      .filter((line) => /^\| `[a-z-]+`/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim().replace(/`/g, '')));
    expect(rows.map((row) => row[1])).toEqual(balancers);
    for (const row of rows) {
      const { balancer, server } = resolveProfile(row[1]!, undefined, {});
      expect(row[2]).toBe(`${balancer.idleTimeoutMs! / 1000} s`);
      expect(row[3]).toBe(
        balancer.healthCheckIntervalMs === undefined
          ? '5 s (default)'
          : `${balancer.healthCheckIntervalMs / 1000} s`,
      );
      expect(row[4]).toBe(`${server.keepAliveTimeout} ms`);
    }
  });
});
