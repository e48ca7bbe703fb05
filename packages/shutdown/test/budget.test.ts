// The shutdown budget: delay + drain + hooks against the platform's grace, the delay against the balancer's notice, at startup.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { isLbkitError } from '@lbkit/core';
import { checkShutdownBudget, gracefulShutdown } from '@lbkit/shutdown';
import { afterEach, describe, expect, it } from 'vitest';

const quiet = { signals: [], ipc: false, exit: false } as const;
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** The codes and details of the process warnings `fn` emits (emitWarning delivers them on the next tick). */
async function warningsOf(fn: () => unknown): Promise<{ code: string; detail: string }[]> {
  // Warnings of an earlier test still on their way must not count here.
  await new Promise((resolve) => setImmediate(resolve));
  const seen: { code: string; detail: string }[] = [];
  const listener = (warning: Error & { code?: string; detail?: string }) => {
    if (warning.code?.startsWith('LBKIT_SHUTDOWN_BUDGET_'))
      seen.push({ code: warning.code, detail: warning.detail ?? '' });
  };
  process.on('warning', listener);
  try {
    fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

describe('checkShutdownBudget()', () => {
  it('finds nothing when delay + drain + hooks fit the grace and the delay covers the notice', async () => {
    const warnings = await warningsOf(() =>
      expect(
        checkShutdownBudget({
          drainDelayMs: 5000,
          drainTimeoutMs: 20_000,
          hookTimeoutsMs: [5000],
          budget: { graceMs: 30_000, noticeMs: 5000 },
          env: {},
        }),
      ).toEqual([]),
    );
    expect(warnings).toEqual([]);
  });

  it('warns LBKIT_SHUTDOWN_BUDGET_OVER_GRACE with the drainTimeoutMs that fits', async () => {
    let findings: ReturnType<typeof checkShutdownBudget> = [];
    const warnings = await warningsOf(() => {
      findings = checkShutdownBudget({
        drainDelayMs: 5000,
        drainTimeoutMs: 30_000,
        hookTimeoutsMs: [5000, 2000],
        budget: { graceMs: 30_000, graceSource: 'terminationGracePeriodSeconds 30' },
        env: {},
      });
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]?.code).toBe('LBKIT_SHUTDOWN_BUDGET_OVER_GRACE');
    expect(findings[0]?.message).toContain(
      '42000 ms does not fit the grace of 30000 ms (terminationGracePeriodSeconds 30)',
    );
    expect(findings[0]?.change).toEqual({ name: 'drainTimeoutMs', from: 30_000, to: 18_000 });
    expect(warnings).toEqual([
      { code: 'LBKIT_SHUTDOWN_BUDGET_OVER_GRACE', detail: 'Set drainTimeoutMs: 18000.' },
    ]);
  });

  it('names the grace to raise when the delay alone leaves no drain', () => {
    const [finding] = checkShutdownBudget({
      drainDelayMs: 65_000,
      drainTimeoutMs: 1000,
      budget: { graceMs: 30_000 },
      env: {},
    });
    expect(finding?.change).toEqual({ name: 'graceMs', from: 30_000, to: 66_000 });
  });

  it('warns LBKIT_SHUTDOWN_BUDGET_DELAY_SHORT with the delay the balancer needs', async () => {
    const warnings = await warningsOf(() =>
      checkShutdownBudget({
        drainDelayMs: 0,
        budget: { noticeMs: 65_000, noticeSource: 'ALB 30 s × 2 + 5 s' },
        env: {},
      }),
    );
    expect(warnings).toEqual([
      { code: 'LBKIT_SHUTDOWN_BUDGET_DELAY_SHORT', detail: 'Set drainDelayMs: 65000.' },
    ]);
  });

  it('throws the first finding as an LbkitError in strict mode', () => {
    try {
      checkShutdownBudget({ drainDelayMs: 0, budget: { noticeMs: 11_000, strict: true }, env: {} });
      expect.unreachable('strict mode must throw');
    } catch (error) {
      expect(isLbkitError(error) && error.code).toBe('LBKIT_SHUTDOWN_BUDGET_DELAY_SHORT');
      expect(isLbkitError(error) && error.hint).toBe('Set drainDelayMs: 11000.');
    }
  });

  it('reads the grace from TERMINATION_GRACE_PERIOD_SECONDS when graceMs is left out', () => {
    const [finding] = checkShutdownBudget({
      drainTimeoutMs: 20_000,
      budget: {},
      env: { TERMINATION_GRACE_PERIOD_SECONDS: '10' },
    });
    expect(finding?.code).toBe('LBKIT_SHUTDOWN_BUDGET_OVER_GRACE');
    expect(finding?.message).toContain('grace of 10000 ms (TERMINATION_GRACE_PERIOD_SECONDS=10)');
  });

  it('prefers an explicit graceMs to the environment', () => {
    const findings = checkShutdownBudget({
      drainTimeoutMs: 20_000,
      budget: { graceMs: 60_000 },
      env: { TERMINATION_GRACE_PERIOD_SECONDS: '10' },
    });
    expect(findings).toEqual([]);
  });

  it('refuses a malformed TERMINATION_GRACE_PERIOD_SECONDS and a misspelt budget key', () => {
    expect(() =>
      checkShutdownBudget({ budget: {}, env: { TERMINATION_GRACE_PERIOD_SECONDS: '30s' } }),
    ).toThrow(/TERMINATION_GRACE_PERIOD_SECONDS must be a whole number of seconds/);
    expect(() => checkShutdownBudget({ budget: { grace: 1 } as never, env: {} })).toThrow(
      /did you mean "budget.graceMs"/,
    );
  });
});

describe('gracefulShutdown({ budget })', () => {
  it('checks the budget at startup, counting each hook at its own timeout', async () => {
    const server = createServer();
    servers.push(server);
    const warnings = await warningsOf(() => {
      gracefulShutdown(server, {
        ...quiet,
        drainDelayMs: 5000,
        drainTimeoutMs: 20_000,
        hooks: [
          { name: 'redis', run: () => undefined },
          { name: 'db', run: () => undefined, timeoutMs: 1000 },
        ],
        budget: { graceMs: 30_000 },
      }).dispose();
    });
    expect(warnings).toEqual([
      { code: 'LBKIT_SHUTDOWN_BUDGET_OVER_GRACE', detail: 'Set drainTimeoutMs: 19000.' },
    ]);
  });

  it('refuses to start in strict mode, before anything is attached', () => {
    const server = createServer();
    servers.push(server);
    expect(() =>
      gracefulShutdown(server, { ...quiet, drainDelayMs: 0, budget: { noticeMs: 11_000, strict: true } }),
    ).toThrow(expect.objectContaining({ code: 'LBKIT_SHUTDOWN_BUDGET_DELAY_SHORT' }));
    expect(server.listenerCount('request')).toBe(0);
  });

  it('runs no check without a budget', async () => {
    const server = createServer();
    servers.push(server);
    server.listen(0);
    await once(server, 'listening');
    const warnings = await warningsOf(() =>
      gracefulShutdown(server, { ...quiet, drainTimeoutMs: 600_000 }).dispose(),
    );
    expect(warnings).toEqual([]);
  });
});
