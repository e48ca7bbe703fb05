// The human report: one line per finding, and its fix indented below.
import type { Finding, FindingStatus } from './types.js';

const MARK: Readonly<Record<FindingStatus, string>> = {
  pass: 'PASS',
  warn: 'WARN',
  fail: 'FAIL',
  skip: 'SKIP',
};

/** One line per finding (`FAIL id: message`), its fix (or, when skipped, how to run it) on the next, then a count. */
export function formatFindings(findings: readonly Finding[]): string {
  const lines: string[] = [];
  for (const finding of findings) {
    lines.push(`${MARK[finding.status]} ${finding.id}: ${finding.message}`);
    if (finding.fix && finding.status !== 'pass')
      lines.push(`     ${finding.status === 'skip' ? 'note' : 'fix'}: ${finding.fix}`);
  }
  const count = (status: FindingStatus): number => findings.filter((f) => f.status === status).length;
  lines.push(
    `${count('fail')} failed, ${count('warn')} warnings, ${count('pass')} passed, ${count('skip')} skipped`,
  );
  return `${lines.join('\n')}\n`;
}
