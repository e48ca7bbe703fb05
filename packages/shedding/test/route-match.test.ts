// Exempt and liveness paths: whole-segment prefixes, case-insensitive, liveness always exempt.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { compileExemption, pathHasPrefix } from '../src/route-match.js';

const req = (url: string): IncomingMessage => ({ url }) as IncomingMessage;

describe('pathHasPrefix', () => {
  it('matches the prefix itself, paths below it, and a query after it', () => {
    expect(pathHasPrefix('/health', '/health')).toBe(true);
    expect(pathHasPrefix('/health/ready', '/health')).toBe(true);
    expect(pathHasPrefix('/health?full=1', '/health')).toBe(true);
  });

  it('does not match a longer segment or another path', () => {
    expect(pathHasPrefix('/healthy', '/health')).toBe(false);
    expect(pathHasPrefix('/work', '/health')).toBe(false);
    expect(pathHasPrefix('/', '/health')).toBe(false);
  });

  it('ignores ASCII case, as the frameworks route', () => {
    expect(pathHasPrefix('/HEALTH/Live', '/health/live')).toBe(true);
  });

  it('reads the path of an absolute-form request target', () => {
    expect(pathHasPrefix('http://example.com/metrics', '/metrics')).toBe(true);
    expect(pathHasPrefix('http://example.com', '/metrics')).toBe(false);
    expect(pathHasPrefix('garbage', '/metrics')).toBe(false);
  });
});

describe('compileExemption', () => {
  it('exempts the listed prefixes and the liveness paths', () => {
    const exempt = compileExemption(['/health', '/metrics/'], ['/livez']);
    expect(exempt(req('/health/ready'))).toBe(true);
    expect(exempt(req('/metrics'))).toBe(true);
    expect(exempt(req('/livez'))).toBe(true);
    expect(exempt(req('/work?ms=2'))).toBe(false);
  });

  it('keeps liveness exempt even when exempt is empty or a function that says no', () => {
    expect(compileExemption([], ['/health/live'])(req('/health/live'))).toBe(true);
    expect(compileExemption(() => false, ['/health/live'])(req('/health/live'))).toBe(true);
    expect(compileExemption(() => false, ['/health/live'])(req('/health/ready'))).toBe(false);
  });

  it('uses an exempt function for everything else', () => {
    const exempt = compileExemption((r) => r.url === '/internal', []);
    expect(exempt(req('/internal'))).toBe(true);
    expect(exempt(req('/work'))).toBe(false);
  });
});
