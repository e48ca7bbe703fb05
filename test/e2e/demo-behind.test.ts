// LBKIT_BEHIND on both built demo apps (CONTRACT.md): the profile's settings applied, shown in the detailed health report, explicit variables winning.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../examples/shared/src/index.js';
import {
  buildDemos,
  type DemoFramework,
  type DemoProcess,
  startDemoProcess,
} from '../helpers/demo-process.js';

const frameworks: DemoFramework[] = ['express', 'fastify'];

/** The Keep-Alive header of a keep-alive GET: Node announces its keepAliveTimeout there (in seconds). */
function keepAliveHeader(url: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    request(`${url}/health/live`, { headers: { connection: 'keep-alive' }, agent: false }, (res) => {
      res.resume();
      res.socket.destroy();
      resolve(res.headers['keep-alive'] as string | undefined);
    })
      .on('error', reject)
      .end();
  });
}

describe('LBKIT_BEHIND in the demo configuration', () => {
  it('takes the profile values unless the explicit variables are set', () => {
    const profile = readConfig({ LBKIT_BEHIND: 'aws-alb' });
    expect(profile).toMatchObject({ drainDelayMs: 65_000, drainTimeoutMs: 230_000, trust: ['private'] });
    expect(profile.behind?.server.keepAliveTimeout).toBe(65_000);
    const explicit = readConfig({
      LBKIT_BEHIND: 'aws-alb',
      DRAIN_DELAY_MS: '1500',
      DRAIN_TIMEOUT_MS: '4000',
      LBKIT_TRUST: 'loopback',
      LBKIT_IP_SOURCE: 'x-real-ip',
    });
    expect(explicit).toMatchObject({
      drainDelayMs: 1500,
      drainTimeoutMs: 4000,
      trust: ['loopback'],
      ipSource: 'x-real-ip',
    });
  });

  it('keeps the old defaults without LBKIT_BEHIND', () => {
    const config = readConfig({});
    expect(config).toMatchObject({
      drainDelayMs: 0,
      drainTimeoutMs: 10_000,
      trust: ['loopback'],
      ipSource: 'x-forwarded-for',
    });
    expect(config.behind).toBeUndefined();
  });

  it('refuses a misspelt profile with the closest name', () => {
    expect(() => readConfig({ LBKIT_BEHIND: 'kubernetes,aws-elb' })).toThrow(/did you mean "aws-alb"/);
  });
});

describe.each(frameworks)('%s demo with LBKIT_BEHIND=aws-alb', (framework) => {
  let demo: DemoProcess;
  beforeAll(async () => {
    buildDemos();
    demo = await startDemoProcess(framework, { INSTANCE_ID: `behind-${framework}`, LBKIT_BEHIND: 'aws-alb' });
  }, 120_000);
  // SIGKILL: the profile's 65 s drain delay would hold a SIGTERM'd demo past the test's timeout.
  afterAll(() => demo?.kill('SIGKILL'));

  it('shows the resolved settings in the detailed health report', async () => {
    const res = await fetch(`${demo.url}/health`);
    const report = (await res.json()) as {
      checks?: Record<string, { observedValue?: { profiles: string[]; server: Record<string, number> } }[]>;
    };
    const profile = report.checks?.['lbkit:profile']?.[0]?.observedValue;
    expect(profile?.profiles).toEqual(['aws-alb']);
    expect(profile?.server).toEqual({
      keepAliveTimeout: 65_000,
      headersTimeout: 66_000,
      requestTimeout: 300_000,
    });
  });

  it('serves with the profile keepAliveTimeout', async () => {
    expect(await keepAliveHeader(demo.url)).toBe('timeout=65');
  });
});
