import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLbkitError } from '@lbkit/core';
import { answerUncalledFactory, closestName, OptionReader } from '@lbkit/core/internal';
import { describe, expect, it } from 'vitest';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('closestName', () => {
  it('suggests the known name a slip was meant to be', () => {
    expect(closestName('drainDelay', ['drainDelayMs', 'drainTimeoutMs'])).toBe('drainDelayMs');
    expect(closestName('chekcs', ['checks', 'paths'])).toBe('checks');
    expect(closestName('ttll', ['ttl', 'prefix'])).toBe('ttl');
    expect(closestName('lifecyle', ['lifecycle', 'shedder'])).toBe('lifecycle');
    expect(closestName('TRUST', ['trust'])).toBe('trust');
    expect(closestName('shedr', ['shedder', 'health'])).toBe('shedder');
  });

  it('suggests nothing for a name unlike any known one', () => {
    expect(closestName('colour', ['checks', 'paths'])).toBeUndefined();
    expect(closestName('x'.repeat(10_000), ['checks'])).toBeUndefined();
  });
});

describe('OptionReader', () => {
  it('refuses an unknown key with the package code and the closest known name', () => {
    const error = thrown(
      () => new OptionReader('SHUTDOWN', 'gracefulShutdown()', { drainDelay: 5000 }, ['drainDelayMs']),
    );
    expect(isLbkitError(error, 'LBKIT_SHUTDOWN_OPTION_UNKNOWN')).toBe(true);
    expect((error as Error).message).toContain('unknown option "drainDelay" — did you mean "drainDelayMs"?');
  });

  it('names nested options with their path', () => {
    const reader = new OptionReader('SHEDDING', 'loadShedding()', { queue: { maxWait: 1 } }, ['queue']);
    const error = thrown(() => reader.nested('queue', ['maxWaitMs']));
    expect((error as Error).message).toContain('"queue.maxWait" — did you mean "queue.maxWaitMs"?');
  });

  it('refuses a non-object and reads undefined as no options', () => {
    expect(
      isLbkitError(
        thrown(() => new OptionReader('HEALTH', 'x()', 5, [])),
        'LBKIT_HEALTH_OPTION_INVALID',
      ),
    ).toBe(true);
    expect(
      isLbkitError(
        thrown(() => new OptionReader('HEALTH', 'x()', [], [])),
        'LBKIT_HEALTH_OPTION_INVALID',
      ),
    ).toBe(true);
    expect(new OptionReader('HEALTH', 'x()', undefined, []).raw).toEqual({});
  });

  it('raises a package’s more specific code for a number out of range when asked to', () => {
    const reader = new OptionReader('FEEDBACK', 'createAgentCheck()', { port: 70_000 }, ['port']);
    const range = { min: 0, max: 65_535, integer: true, code: 'LBKIT_FEEDBACK_PORT_INVALID' };
    expect(
      isLbkitError(
        thrown(() => reader.number('port', 0, range)),
        'LBKIT_FEEDBACK_PORT_INVALID',
      ),
    ).toBe(true);
  });

  it('checks numbers, milliseconds, booleans, choices, functions and strings', () => {
    const reader = new OptionReader('METRICS', 'm()', { a: 1.5, b: -1, c: 'yes', d: 'z', e: 1, f: '' }, [
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
      'g',
    ]);
    expect(reader.number('a', 0)).toBe(1.5);
    expect(
      isLbkitError(
        thrown(() => reader.number('a', 0, { integer: true })),
        'LBKIT_METRICS_OPTION_INVALID',
      ),
    ).toBe(true);
    expect((thrown(() => reader.milliseconds('b', 0)) as Error).message).toContain(
      'b must be a whole number from 0',
    );
    expect(thrown(() => reader.boolean('c', false))).toBeInstanceOf(Error);
    expect(thrown(() => reader.oneOf('d', ['json', 'text'], 'json'))).toBeInstanceOf(Error);
    expect(thrown(() => reader.function('e'))).toBeInstanceOf(Error);
    expect(thrown(() => reader.string('f', undefined))).toBeInstanceOf(Error);
    expect(reader.milliseconds('g', 250)).toBe(250);
    expect(reader.oneOf('g', ['json', 'text'], 'json')).toBe('json');
  });

  it('refuses a request handed over as options', async () => {
    const server = createServer((req, res) => {
      const error = thrown(() => new OptionReader('HEALTH', 'healthcheck()', req, ['checks']));
      res.end(isLbkitError(error) ? error.code : 'no error');
    }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(await res.text()).toBe('LBKIT_HEALTH_FACTORY_NOT_CALLED');
    server.close();
  });
});

describe('answerUncalledFactory', () => {
  it('passes a coded error to next() when a factory is mounted without being called', async () => {
    const seen: unknown[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const answered = answerUncalledFactory('EXPRESS', 'healthcheck', [
        req,
        res,
        (e: unknown) => seen.push(e),
      ]);
      res.end(String(answered));
    }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(await res.text()).toBe('true');
    expect(isLbkitError(seen[0], 'LBKIT_EXPRESS_FACTORY_NOT_CALLED')).toBe(true);
    expect((seen[0] as Error).message).toContain('app.use(healthcheck({ ... })), not app.use(healthcheck)');
    server.close();
  });

  it('answers 500 itself on node:http, where there is no next', async () => {
    const server = createServer((req, res) => {
      answerUncalledFactory('METRICS', 'metricsHandler', [req, res]);
    }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('LBKIT_METRICS_FACTORY_NOT_CALLED');
    server.close();
  });

  it('returns false for ordinary options', () => {
    expect(answerUncalledFactory('EXPRESS', 'healthcheck', [{ checks: {} }])).toBe(false);
    expect(answerUncalledFactory('EXPRESS', 'healthcheck', [])).toBe(false);
  });
});
