// The probe-route matcher of Health.handle(): the same answer as "the path before the first ?", found without hashing other URLs.
import { describe, expect, it } from 'vitest';
import { ProbeRoutes } from '../src/probe-routes.js';
import type { ProbeName } from '../src/types.js';

const routes = new Map<string, ProbeName>([
  ['/health', 'readiness'],
  ['/health/live', 'liveness'],
  ['/health/ready', 'readiness'],
  ['/health/startup', 'startup'],
  ['/db', '/db'],
]);

/** The rule the matcher replaces: the path is the URL up to its first `?`, looked up as it is. */
function byPath(url: string): ProbeName | undefined {
  const query = url.indexOf('?');
  return routes.get(query < 0 ? url : url.slice(0, query));
}

describe('ProbeRoutes', () => {
  const matcher = new ProbeRoutes(routes);
  const urls = [
    '/',
    '/hello',
    '/db',
    '/db?',
    '/db?x=1',
    '/dbx',
    '/health',
    '/health?',
    '/health?x=/health/live',
    '/health/',
    '/health/live',
    '/health/live?probe=1?again',
    '/health/liver',
    '/health/ready',
    '/health/readyz',
    '/health/ready#x',
    '/health/startup?',
    '/health/startup/more',
    '/healthy?x',
    '/x?/health',
    '/health/ready?'.padEnd(300, 'q'),
    '/api/users/12345?sort=name',
    '',
  ];

  it.each(urls)('answers %j as the path before the first ? does', (url) => {
    expect(matcher.match(url)).toBe(byPath(url));
  });

  it('matches nothing when every route is disabled', () => {
    expect(new ProbeRoutes(new Map()).match('/health')).toBeUndefined();
  });
});
