// Every derived value in the README's "Derived settings" table is what resolveProfile() gives: docs and code cannot drift.
import { readFileSync } from 'node:fs';
import { resolveProfile } from '@lbkit/profiles';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const section = readme.slice(
  readme.indexOf('## Derived settings'),
  readme.indexOf('## Where the numbers come from'),
);
const rows = section
  .split('\n')
  .filter((line) => /^\| `[a-z0-9,-]+`/.test(line))
  .map((line) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim().replace(/`/g, '')),
  );

function cellOf(value: number | undefined): string {
  return value === undefined ? '–' : String(value);
}

describe('README derived settings table', () => {
  it('has a row for every profile and the documented combinations', () => {
    const names = rows.map((row) => row[0]);
    for (const name of [
      'aws-alb',
      'aws-nlb',
      'gcp-lb',
      'cloudflare',
      'nginx',
      'haproxy',
      'envoy',
      'kubernetes',
      'pm2',
    ]) {
      expect(names).toContain(name);
    }
    expect(names).toContain('kubernetes,aws-alb');
  });

  for (const row of rows) {
    const [name, keepAlive, headers, request, delay, drain, grace, trust, source] = row as string[];
    it(`${name}: the code gives the table's values`, () => {
      const settings = resolveProfile(name!, undefined, {});
      expect({
        keepAlive: String(settings.server.keepAliveTimeout),
        headers: String(settings.server.headersTimeout),
        request: String(settings.server.requestTimeout),
        delay: String(settings.shutdown.drainDelayMs),
        drain: String(settings.shutdown.drainTimeoutMs),
        grace: cellOf(settings.shutdown.budget.graceMs),
        trust: settings.clientIp.trust.length === 0 ? '–' : settings.clientIp.trust.join(','),
        source: settings.clientIp.source,
      }).toEqual({ keepAlive, headers, request, delay, drain, grace, trust, source });
      expect(settings.health.paths).toEqual({
        liveness: '/health/live',
        readiness: '/health/ready',
        startup: '/health/startup',
      });
    });
  }
});
