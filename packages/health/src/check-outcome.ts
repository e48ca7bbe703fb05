// Turns whatever a check returned or threw into one frozen CheckReport entry.
import type { CheckReport, HealthStatus } from './types.js';

/** Longest `output` kept, so a driver dumping a huge error cannot bloat every report. */
export const MAX_OUTPUT_LENGTH = 512;

/** Runs `check` and reports its outcome; never rejects (throwing is a failure, not an error). */
export async function runCheck(
  check: (signal: AbortSignal) => unknown,
  signal: AbortSignal,
  componentType: string,
): Promise<CheckReport> {
  try {
    return fromValue(await check(signal), componentType);
  } catch (error) {
    return entry(componentType, 'fail', undefined, undefined, describeError(error));
  }
}

/** A failing entry, for timeouts and closed checks. */
export function failure(componentType: string, output: string): CheckReport {
  return entry(componentType, 'fail', undefined, undefined, output);
}

function fromValue(value: unknown, componentType: string): CheckReport {
  if (value === undefined || value === true) return entry(componentType, 'pass');
  if (value === false) return entry(componentType, 'fail', undefined, undefined, 'check returned false');
  if (typeof value === 'object' && value !== null && isStatus((value as { status?: unknown }).status)) {
    const { status, observedValue, observedUnit, output } = value as {
      status: HealthStatus;
      observedValue?: unknown;
      observedUnit?: unknown;
      output?: unknown;
    };
    return entry(
      componentType,
      status,
      jsonSafe(observedValue),
      typeof observedUnit === 'string' ? observedUnit : undefined,
      output === undefined ? undefined : truncate(String(output)),
    );
  }
  return entry(
    componentType,
    'fail',
    undefined,
    undefined,
    'check returned neither a boolean nor { status: "pass" | "warn" | "fail" }',
  );
}

function entry(
  componentType: string,
  status: HealthStatus,
  observedValue?: unknown,
  observedUnit?: string,
  output?: string,
): CheckReport {
  // Keys in the draft's order, so reports read the same everywhere.
  const report: Record<string, unknown> = { componentType };
  if (observedValue !== undefined) report.observedValue = observedValue;
  if (observedUnit !== undefined) report.observedUnit = observedUnit;
  report.status = status;
  report.time = new Date().toISOString();
  if (output !== undefined) report.output = output;
  return Object.freeze(report) as unknown as CheckReport;
}

/** Keeps reports serialisable: a value JSON cannot write (a BigInt, a cycle) is reported as text. */
function jsonSafe(value: unknown): unknown {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  try {
    if (JSON.stringify(value) !== undefined) return value;
  } catch {
    // falls through to the text form
  }
  return truncate(String(value));
}

function isStatus(value: unknown): value is HealthStatus {
  return value === 'pass' || value === 'warn' || value === 'fail';
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    // AggregateError (e.g. a refused connection to both ::1 and 127.0.0.1) has an empty message.
    if (!error.message && error instanceof AggregateError && error.errors.length > 0) {
      return truncate(error.errors.map(describeError).join('; '));
    }
    return truncate(error.message || error.name);
  }
  return truncate(String(error));
}

function truncate(text: string): string {
  return text.length > MAX_OUTPUT_LENGTH ? `${text.slice(0, MAX_OUTPUT_LENGTH - 1)}…` : text;
}
