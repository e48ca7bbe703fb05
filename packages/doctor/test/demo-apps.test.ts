// Both demo apps, built and started as processes, pass every check, the drain included.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDemos, type DemoFramework, startDemoProcess } from '../../../test/helpers/demo-process.js';
import { runDoctor } from '../src/index.js';

beforeAll(() => buildDemos(), 180_000);

describe.each<DemoFramework>(['express', 'fastify'])('runDoctor against the %s demo', (framework) => {
  it('passes every check, warning only that /metrics answers public callers, and the drain exits 0', async () => {
    const demo = await startDemoProcess(framework, { DRAIN_DELAY_MS: '1500' });
    try {
      // The helper keeps the child to itself; the demo's /whoami names its pid.
      const { pid } = (await (await fetch(`${demo.url}/whoami`)).json()) as { pid: number };
      // Node's default keepAliveTimeout is 5 s: a balancer idling 3 s closes its connections first.
      const findings = await runDoctor(demo.url, { idleTimeoutS: 3, pid, probeIntervalS: 2 });
      const notPassed = findings.filter((f) => f.status !== 'pass').map((f) => `${f.id} ${f.status}`);
      expect(notPassed, JSON.stringify(findings, null, 2)).toEqual(['exposure.metrics warn']);
      expect(await demo.exited).toEqual({ code: 0, signal: null });
    } finally {
      await demo.stop();
    }
  }, 60_000);
});
