// The shutdown budget, checked at startup: delay + drain + cleanup hooks against the platform's grace, the delay against the balancer's notice.
import { LbkitError } from '@lbkit/core';
import { MAX_TIMER_MS, OptionReader, show } from '@lbkit/core/internal';
import type { BudgetFinding, ShutdownBudget, ShutdownBudgetInput } from './types.js';

const BUDGET_KEYS = Object.keys({
  graceMs: true,
  graceSource: true,
  noticeMs: true,
  noticeSource: true,
  strict: true,
} satisfies Record<keyof ShutdownBudget, true>);

const INPUT_KEYS = Object.keys({
  drainDelayMs: true,
  drainTimeoutMs: true,
  hookTimeoutsMs: true,
  budget: true,
  env: true,
} satisfies Record<keyof ShutdownBudgetInput, true>);

// Kubernetes does not expose terminationGracePeriodSeconds to the container; a pod spec passes it on
// by setting this variable next to the field (the README shows how).
const GRACE_VARIABLE = 'TERMINATION_GRACE_PERIOD_SECONDS';

/** A drain shorter than this cannot answer even one slow request; the fix then moves the grace instead. */
const MIN_DRAIN_MS = 1000;

/**
 * Checks the shutdown's numbers against the platform: `drainDelayMs + drainTimeoutMs + hooks` must
 * fit the grace (`budget.graceMs`, else `TERMINATION_GRACE_PERIOD_SECONDS`), and `drainDelayMs` must
 * cover what the balancer needs to notice (`budget.noticeMs`). Each misfit is a finding that names
 * the number to change and its new value; the findings are emitted as coded process warnings, or
 * the first one thrown as an `LbkitError` when `budget.strict` is set.
 */
export function checkShutdownBudget(input: ShutdownBudgetInput): readonly BudgetFinding[] {
  const options = new OptionReader<ShutdownBudgetInput>(
    'SHUTDOWN',
    'checkShutdownBudget()',
    input,
    INPUT_KEYS,
  );
  const drainDelayMs = options.milliseconds('drainDelayMs', 0);
  const drainTimeoutMs = options.milliseconds('drainTimeoutMs', 10_000);
  const hooks = hookTimeouts(options);
  const env = (options.get('env') ?? process.env) as NodeJS.ProcessEnv;
  const budget = readBudget(options.nested<ShutdownBudget>('budget', BUDGET_KEYS), env);
  const findings = budgetFindings({ drainDelayMs, drainTimeoutMs, hooksMs: sum(hooks) }, budget);
  report(findings, budget.strict);
  return findings;
}

interface ReadBudget {
  readonly graceMs: number | undefined;
  readonly graceSource: string;
  readonly noticeMs: number | undefined;
  readonly noticeSource: string;
  readonly strict: boolean;
}

function readBudget(options: OptionReader<ShutdownBudget>, env: NodeJS.ProcessEnv): ReadBudget {
  const explicit = options.milliseconds('graceMs', undefined);
  const fromEnv = explicit === undefined ? graceFromEnv(options, env) : undefined;
  return {
    graceMs: explicit ?? fromEnv,
    graceSource:
      options.string('graceSource', undefined) ??
      (fromEnv !== undefined ? `${GRACE_VARIABLE}=${env[GRACE_VARIABLE]}` : 'the platform grace'),
    noticeMs: options.milliseconds('noticeMs', undefined),
    noticeSource: options.string('noticeSource', undefined) ?? 'what the balancer needs to notice',
    strict: options.boolean('strict', false),
  };
}

function graceFromEnv(options: OptionReader<ShutdownBudget>, env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[GRACE_VARIABLE];
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || seconds * 1000 > MAX_TIMER_MS) {
    throw options.invalid(
      `${GRACE_VARIABLE} must be a whole number of seconds, got ${show(raw)}`,
      `Set ${GRACE_VARIABLE} to the pod's terminationGracePeriodSeconds, for example 30.`,
    );
  }
  return seconds * 1000;
}

function hookTimeouts(options: OptionReader<ShutdownBudgetInput>): number[] {
  const value: unknown = options.get('hookTimeoutsMs');
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  for (const ms of list) {
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_TIMER_MS) {
      throw options.invalid(
        `hookTimeoutsMs must list whole numbers of milliseconds, got ${show(ms)}`,
        'Pass one timeout per cleanup hook, for example hookTimeoutsMs: [5000].',
      );
    }
  }
  return list as number[];
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function budgetFindings(
  spent: { readonly drainDelayMs: number; readonly drainTimeoutMs: number; readonly hooksMs: number },
  budget: Pick<ReadBudget, 'graceMs' | 'graceSource' | 'noticeMs' | 'noticeSource'>,
): BudgetFinding[] {
  const findings: BudgetFinding[] = [];
  const { drainDelayMs, drainTimeoutMs, hooksMs } = spent;
  if (budget.noticeMs !== undefined && drainDelayMs < budget.noticeMs) {
    findings.push({
      code: 'LBKIT_SHUTDOWN_BUDGET_DELAY_SHORT',
      message: `drainDelayMs ${drainDelayMs} is shorter than the ${budget.noticeMs} ms the balancer needs to notice the drain (${budget.noticeSource}): it keeps sending new requests after the listener closes`,
      change: { name: 'drainDelayMs', from: drainDelayMs, to: budget.noticeMs },
    });
  }
  // The fix assumes the delay is raised as the finding above says, so the two fixes fit together.
  const delay = Math.max(drainDelayMs, budget.noticeMs ?? 0);
  const total = delay + drainTimeoutMs + hooksMs;
  if (budget.graceMs !== undefined && total > budget.graceMs) {
    const room = budget.graceMs - delay - hooksMs;
    const change =
      room >= MIN_DRAIN_MS
        ? { name: 'drainTimeoutMs', from: drainTimeoutMs, to: room }
        : {
            name: 'graceMs',
            from: budget.graceMs,
            to: delay + Math.max(drainTimeoutMs, MIN_DRAIN_MS) + hooksMs,
          };
    findings.push({
      code: 'LBKIT_SHUTDOWN_BUDGET_OVER_GRACE',
      message: `${delay === drainDelayMs ? 'drainDelayMs' : 'the needed delay'} ${delay} + drainTimeoutMs ${drainTimeoutMs} + cleanup hooks ${hooksMs} = ${total} ms does not fit the grace of ${budget.graceMs} ms (${budget.graceSource}): the process is killed before the shutdown ends`,
      change,
    });
  }
  return findings;
}

function findingHint(finding: BudgetFinding): string {
  const { name, to } = finding.change;
  if (name === 'graceMs') {
    return `Raise the platform's grace to ${to} ms (terminationGracePeriodSeconds: ${Math.ceil(to / 1000)}, PM2 kill_timeout: ${to}, or the balancer's deregistration delay), or shorten the delay or the hooks.`;
  }
  return `Set ${name}: ${to}.`;
}

// Process warnings rather than a logger: they carry the code, print once at startup without any
// logger configured, and process.on('warning') can collect them.
function report(findings: readonly BudgetFinding[], strict: boolean): void {
  const first = findings[0];
  if (strict && first) throw new LbkitError(first.code, first.message, { hint: findingHint(first) });
  for (const finding of findings) {
    process.emitWarning(finding.message, { code: finding.code, detail: findingHint(finding) });
  }
}

/**
 * gracefulShutdown()'s startup check of its `budget` option, with the hooks it was given: each runs
 * for at most its own timeout, one after the other.
 */
export function checkBudgetOption<T extends object>(
  options: OptionReader<T>,
  key: keyof T & string,
  spent: {
    readonly drainDelayMs: number;
    readonly drainTimeoutMs: number;
    readonly hookTimeoutsMs: number[];
  },
): void {
  if (options.get(key) === undefined) return;
  const budget = readBudget(options.nested<ShutdownBudget>(key, BUDGET_KEYS), process.env);
  const { drainDelayMs, drainTimeoutMs, hookTimeoutsMs } = spent;
  report(
    budgetFindings({ drainDelayMs, drainTimeoutMs, hooksMs: sum(hookTimeoutsMs) }, budget),
    budget.strict,
  );
}
