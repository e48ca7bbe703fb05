// A misspelled option, at any depth, is refused with LBKIT_SHEDDING_OPTION_UNKNOWN and the name it was meant to be.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLbkitError, type LbkitError, Lifecycle } from '@lbkit/core';
import { LoadShedder, type LoadSheddingOptions, overloadCheck } from '@lbkit/shedding';
import { afterEach, describe, expect, it } from 'vitest';

const made: LoadShedder[] = [];
afterEach(() => {
  for (const s of made.splice(0)) s.close();
});

function refusal(make: () => unknown): LbkitError {
  try {
    const value = make();
    if (value instanceof LoadShedder) made.push(value);
  } catch (error) {
    if (isLbkitError(error)) return error;
    throw error;
  }
  throw new Error('expected an LbkitError');
}

function shedderWith(options: unknown): () => LoadShedder {
  return () => new LoadShedder({ lifecycle: new Lifecycle(), ...(options as LoadSheddingOptions) });
}

describe('LoadShedder refuses unknown option names', () => {
  it.each([
    [{ concurrencylimit: 5 }, 'concurrencylimit', 'concurrencyLimit'],
    [{ turnBudget: 2 }, 'turnBudget', 'turnBudgetMs'],
    [{ retryafter: {} }, 'retryafter', 'retryAfter'],
    [{ exmept: ['/x'] }, 'exmept', 'exempt'],
    [{ concurrencyLimit: { intial: 5 } }, 'concurrencyLimit.intial', 'concurrencyLimit.initial'],
    [
      { concurrencyLimit: { toleranceMS: 5 } },
      'concurrencyLimit.toleranceMS',
      'concurrencyLimit.toleranceMs',
    ],
    [{ queue: { target: 5 } }, 'queue.target', 'queue.targetMs'],
    [{ queue: { maxLenght: 5 } }, 'queue.maxLenght', 'queue.maxLength'],
    [{ signals: { interval: 100 } }, 'signals.interval', 'signals.intervalMs'],
    [{ thresholds: { rss: 1e9 } }, 'thresholds.rss', 'thresholds.rssBytes'],
    [{ thresholds: { rssBytes: { high: 10, lo: 5 } } }, 'thresholds.rssBytes.lo', 'thresholds.rssBytes.low'],
    [{ retryAfter: { maxSecond: 5 } }, 'retryAfter.maxSecond', 'retryAfter.maxSeconds'],
  ])('%o: unknown %s, did you mean %s', (options, wrong, meant) => {
    const error = refusal(shedderWith(options));
    expect(error.code).toBe('LBKIT_SHEDDING_OPTION_UNKNOWN');
    expect(error.message).toContain(`unknown option "${wrong}" — did you mean "${meant}"?`);
    expect(error.hint).toMatch(/^Known options/);
  });

  it('names no suggestion when nothing is close, and lists the known names in the hint', () => {
    const error = refusal(shedderWith({ queue: { zzzzzz: 1 } }));
    expect(error.code).toBe('LBKIT_SHEDDING_OPTION_UNKNOWN');
    expect(error.message).not.toContain('did you mean');
    expect(error.hint).toBe('Known options of queue: targetMs, intervalMs, maxLength.');
  });

  it('refuses options that are not an object', () => {
    expect(refusal(() => new LoadShedder('fast' as never)).code).toBe('LBKIT_SHEDDING_OPTION_INVALID');
    expect(refusal(() => new LoadShedder([] as never)).code).toBe('LBKIT_SHEDDING_OPTION_INVALID');
  });

  it('refuses a request given as options (a factory mounted without being called)', async () => {
    const server = createServer();
    const seen = new Promise<IncomingMessage>((resolve) =>
      server.once('request', (req: IncomingMessage, res) => {
        resolve(req);
        res.end();
      }),
    );
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const req = await seen;
    server.close();
    const error = refusal(() => new LoadShedder(req as never));
    expect(error.code).toBe('LBKIT_SHEDDING_FACTORY_NOT_CALLED');
  });
});

describe('overloadCheck refuses unknown option names', () => {
  it('suggests the option meant', () => {
    const shedder = new LoadShedder({ lifecycle: new Lifecycle() });
    made.push(shedder);
    const error = refusal(() => overloadCheck(shedder, { sustained: 5 } as never));
    expect(error.code).toBe('LBKIT_SHEDDING_OPTION_UNKNOWN');
    expect(error.message).toContain(
      'overloadCheck(): unknown option "sustained" — did you mean "sustainedMs"?',
    );
  });
});
