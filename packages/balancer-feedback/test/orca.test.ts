import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { totalmem } from 'node:os';
import { createLoadReport, formatOrcaText, ORCA_HEADER } from '@lbkit/balancer-feedback';
import { isLbkitError, Lifecycle } from '@lbkit/core';
import { describe, expect, it, vi } from 'vitest';

const FIELDS = new Set([
  'cpu_utilization',
  'mem_utilization',
  'application_utilization',
  'eps',
  'rps_fractional',
]);

/**
 * The acceptance rules of Envoy's ORCA parser for the TEXT form (source/common/orca/orca_parser.cc):
 * `TEXT ` prefix, comma-separated entries trimmed of whitespace, `name=value`, known field names or
 * `named_metrics.<non-empty>`, values finite and not negative, no duplicates. Throws where Envoy
 * would drop the report.
 */
function parseLikeEnvoy(header: string): Record<string, number> {
  if (!header.startsWith('TEXT ')) throw new Error('unsupported ORCA header format');
  const out: Record<string, number> = {};
  for (const raw of header.slice(5).split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const at = entry.search(/[=:]/);
    const name = at < 0 ? entry : entry.slice(0, at);
    const text = at < 0 ? '' : entry.slice(at + 1);
    if (name in out) throw new Error(`duplicate metric: ${name}`);
    if (!FIELDS.has(name) && !/^named_metrics\..+/.test(name))
      throw new Error(`unsupported metric name: ${name}`);
    if (text === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text))
      throw new Error(`bad value: ${text}`);
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new Error(`bad value: ${text}`);
    out[name] = value;
  }
  return out;
}

describe('formatOrcaText', () => {
  it('writes the ORCA TEXT form with xds field names and named_metrics', () => {
    const text = formatOrcaText({
      applicationUtilization: 0.5,
      cpuUtilization: 0.123456,
      memUtilization: 0.25,
      rpsFractional: 120.5,
      eps: 0,
      namedMetrics: { in_flight: 3, 'queue.depth': 7 },
    });
    expect(text).toBe(
      'TEXT application_utilization=0.5, cpu_utilization=0.1235, mem_utilization=0.25, rps_fractional=120.5, eps=0, named_metrics.in_flight=3, named_metrics.queue.depth=7',
    );
    expect(parseLikeEnvoy(text)).toMatchObject({
      application_utilization: 0.5,
      'named_metrics.queue.depth': 7,
    });
  });

  it('leaves out what Envoy would reject: negative, NaN and infinite values, names with separators', () => {
    const text = formatOrcaText({
      applicationUtilization: -0.1,
      cpuUtilization: Number.NaN,
      memUtilization: Number.POSITIVE_INFINITY,
      namedMetrics: { 'a=b': 1, 'x,y': 2, '': 3, ok: 4, 'sp ace': 5, long: 1e-9 },
    });
    expect(text).toBe('TEXT named_metrics.ok=4, named_metrics.long=0');
    expect(() => parseLikeEnvoy(text)).not.toThrow();
  });
});

describe('createLoadReport', () => {
  it('reports utilisation against the limit, in-flight requests and process usage on a real response', async () => {
    const lifecycle = new Lifecycle();
    const load = createLoadReport({ lifecycle, concurrencyLimit: 4 });
    const server = createServer((_req, res) => {
      load.setHeader(res);
      res.end('ok');
    });
    lifecycle.inFlight.attach(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const header = await new Promise<string>((resolve) => {
      get({ port, host: '127.0.0.1', path: '/' }, (res) => {
        res.resume();
        resolve(String(res.headers[ORCA_HEADER]));
      });
    });
    server.close();
    const parsed = parseLikeEnvoy(header);
    // The request carrying the header is itself in flight.
    expect(parsed).toMatchObject({
      application_utilization: 0.25,
      'named_metrics.in_flight': 1,
      'named_metrics.queued': 0,
      'named_metrics.concurrency_limit': 4,
    });
    expect(parsed.cpu_utilization).toBeGreaterThanOrEqual(0);
    expect(parsed.mem_utilization).toBeGreaterThan(0);
    expect(parsed.mem_utilization).toBeLessThan(1);
  });

  it('takes limit and queue from a shedder and adds the named metrics of the caller', () => {
    const load = createLoadReport({
      lifecycle: new Lifecycle(),
      shedder: { limit: 10, inFlight: 10, queued: 5 },
      processUsage: false,
      namedMetrics: () => ({ sessions: 12 }),
    });
    expect(load.headerValue()).toBe(
      'TEXT application_utilization=1.5, named_metrics.in_flight=10, named_metrics.queued=5, named_metrics.concurrency_limit=10, named_metrics.sessions=12',
    );
  });

  it('has no application_utilization without a limit', () => {
    const load = createLoadReport({ lifecycle: new Lifecycle(), processUsage: false });
    expect(load.headerValue()).toBe('TEXT named_metrics.in_flight=0, named_metrics.queued=0');
  });

  it('does not touch a response whose headers are sent', () => {
    const load = createLoadReport({ lifecycle: new Lifecycle(), processUsage: false });
    const calls: string[] = [];
    load.setHeader({ headersSent: true, setHeader: (name: string) => calls.push(name) });
    expect(calls).toEqual([]);
  });

  it('refuses a bad sampleMs or namedMetrics at creation', () => {
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (error) {
        return isLbkitError(error) ? error.code : 'other';
      }
      return undefined;
    };
    expect(code(() => createLoadReport({ sampleMs: 0 }))).toBe('LBKIT_FEEDBACK_OPTION_INVALID');
    expect(code(() => createLoadReport({ namedMetrics: { a: 1 } as never }))).toBe(
      'LBKIT_FEEDBACK_OPTION_INVALID',
    );
  });
});

describe('createLoadReport, precomputed header text', () => {
  it('reuses the text while the figures stay, and writes a new one as soon as one moves', () => {
    const shedder = { limit: 10, inFlight: 2, queued: 0 };
    const load = createLoadReport({ lifecycle: new Lifecycle(), shedder, processUsage: false });
    const first = load.headerValue();
    expect(first).toBe(
      'TEXT application_utilization=0.2, named_metrics.in_flight=2, named_metrics.queued=0, named_metrics.concurrency_limit=10',
    );
    expect(load.headerValue()).toBe(first);
    shedder.inFlight = 3;
    expect(load.headerValue()).toContain('named_metrics.in_flight=3');
    shedder.queued = 4;
    expect(load.headerValue()).toContain(
      'application_utilization=0.7, named_metrics.in_flight=3, named_metrics.queued=4',
    );
    shedder.limit = 20;
    expect(load.headerValue()).toContain('application_utilization=0.35,');
    shedder.queued = 0;
    shedder.inFlight = 2;
    expect(load.headerValue()).toBe(
      'TEXT application_utilization=0.1, named_metrics.in_flight=2, named_metrics.queued=0, named_metrics.concurrency_limit=20',
    );
    shedder.inFlight = 2.5;
    expect(load.headerValue()).toContain('named_metrics.in_flight=2.5,');
  });

  it('answers an earlier load with its text again, and writes new texts once a new process sample is taken', async () => {
    const shedder = { limit: 10, inFlight: 1, queued: 0 };
    const rss = vi.spyOn(process.memoryUsage, 'rss').mockReturnValue(1);
    try {
      const load = createLoadReport({ lifecycle: new Lifecycle(), shedder, sampleMs: 20 });
      const one = load.headerValue();
      shedder.inFlight = 2;
      const two = load.headerValue();
      shedder.inFlight = 1;
      expect(load.headerValue()).toBe(one);
      expect(two).toContain('named_metrics.in_flight=2');
      rss.mockReturnValue(Math.round(totalmem() / 2));
      await new Promise((resolve) => setTimeout(resolve, 40));
      const later = load.headerValue();
      const mem = (text: string) => Number(/mem_utilization=([\d.]+)/.exec(text)?.[1]);
      expect(mem(one)).toBe(0);
      expect(mem(later)).toBeGreaterThanOrEqual(0.5);
      expect(later).toContain('named_metrics.in_flight=1,');
    } finally {
      rss.mockRestore();
    }
  });

  it('reads the named metrics of the caller at every report', () => {
    let sessions = 1;
    const load = createLoadReport({
      lifecycle: new Lifecycle(),
      processUsage: false,
      namedMetrics: () => ({ sessions }),
    });
    expect(load.headerValue()).toContain('named_metrics.sessions=1');
    sessions = 2;
    expect(load.headerValue()).toContain('named_metrics.sessions=2');
  });

  it('samples process usage at most once per sampleMs, and again once it has passed', async () => {
    const load = createLoadReport({ lifecycle: new Lifecycle(), sampleMs: 20 });
    const usage = vi.spyOn(process, 'cpuUsage');
    load.headerValue();
    const afterFirst = usage.mock.calls.length;
    for (let i = 0; i < 100; i++) load.headerValue();
    expect(usage.mock.calls.length).toBe(afterFirst);
    await new Promise((resolve) => setTimeout(resolve, 40));
    load.headerValue();
    expect(usage.mock.calls.length).toBeGreaterThan(afterFirst);
    usage.mockRestore();
  });
});
