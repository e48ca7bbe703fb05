// Unknown, misspelled and mistyped options of RedisSessionStore are refused when it is constructed.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RedisSessionStore, type RedisSessionStoreOptions } from '@lbkit/session-redis';
import { describe, expect, it } from 'vitest';
import { hasRedis } from '../../../test/helpers/redis.js';
import { refusal as failure } from '../../../test/helpers/refusal.js';
import { newId, sessionWith, useRedis } from './harness.js';

const KEY = 'a'.repeat(64);

describe.runIf(hasRedis())('RedisSessionStore options', () => {
  const fixture = useRedis();
  const construct = (options: object) => () =>
    new RedisSessionStore({ client: fixture.client(), ...options } as RedisSessionStoreOptions);

  it('ttll (not ttl) is refused with the right name instead of keeping the default expiry', () => {
    const { code, message } = failure(construct({ ttll: 60 }));
    expect(code).toBe('LBKIT_SESSION_OPTION_UNKNOWN');
    expect(message).toContain('unknown option "ttll" — did you mean "ttl"?');
  });

  it('a misspelled client is named as such, not reported as a missing client', () => {
    const { code, message } = failure(
      () => new RedisSessionStore({ clinet: fixture.client() } as unknown as RedisSessionStoreOptions),
    );
    expect(code).toBe('LBKIT_SESSION_OPTION_UNKNOWN');
    expect(message).toContain('did you mean "client"?');
  });

  it.each([
    [{ prefx: 'app:' }, 'prefix'],
    [{ disableTtl: true, maxLifetimeMs: 1000 }, 'disableTTL'],
    [{ scancount: 10 }, 'scanCount'],
    [{ failmode: 'open' }, 'failMode'],
    [{ commandTimeout: 500 }, 'commandTimeoutMs'],
    [{ tombstoneTtl: 1000 }, 'tombstoneTtlMs'],
    [{ maxLifetime: 1000 }, 'maxLifetimeMs'],
    [{ encryption: { key: [KEY] } }, 'encryption.keys'],
    [{ compression: { threshold: 10 } }, 'compression.thresholdBytes'],
    [{ compression: { algo: 'deflate' } }, 'compression.algorithm'],
    [{ sessionIdLength: { min: 16, maximum: 64 } }, 'sessionIdLength.max'],
  ])('%o → %s', (options, suggested) => {
    const { code, message } = failure(construct(options));
    expect(code).toBe('LBKIT_SESSION_OPTION_UNKNOWN');
    expect(message).toContain(`did you mean "${suggested}"?`);
  });

  it.each([
    ['options that are a string', 'redis://127.0.0.1'],
    ['strict as a string', { strict: 'yes' }],
    ['disableTouch as a number', { disableTouch: 1 }],
    ['failMode outside closed/open', { failMode: 'half' }],
    ['commandTimeoutMs of 0', { commandTimeoutMs: 0 }],
    ['commandTimeoutMs past the largest timer', { commandTimeoutMs: 2 ** 31 }],
    ['scanCount that is fractional', { scanCount: 1.5 }],
    ['ttl as a string', { ttl: '1d' }],
    ['a serializer without parse', { serializer: { stringify: JSON.stringify } }],
    ['compression as a string', { compression: 'brotli' }],
    ['compression.algorithm unknown', { compression: { algorithm: 'zstd' } }],
    ['validateSessionId that is not a function', { validateSessionId: true }],
    ['sessionIdPattern with the g flag', { sessionIdPattern: /^a+$/g }],
    ['sessionIdLength out of range', { sessionIdLength: { min: 8, max: 4 } }],
  ])('%s is refused with LBKIT_SESSION_OPTION_INVALID', (_name, options) => {
    const fn =
      typeof options === 'string'
        ? () => new RedisSessionStore(options as unknown as RedisSessionStoreOptions)
        : construct(options);
    expect(failure(fn).code).toBe('LBKIT_SESSION_OPTION_INVALID');
  });

  it('keeps its own codes where they say more: prefix, expiry, client', () => {
    expect(failure(construct({ prefix: 'a{b}' })).code).toBe('LBKIT_SESSION_PREFIX_INVALID');
    expect(failure(construct({ disableTTL: true })).code).toBe('LBKIT_SESSION_EXPIRY_MISSING');
    expect(failure(() => new RedisSessionStore({} as RedisSessionStoreOptions)).code).toBe(
      'LBKIT_SESSION_CLIENT_REQUIRED',
    );
  });

  it('accepts JSON as the serializer (its methods are not own enumerable keys) and stores with it', async () => {
    const store = new RedisSessionStore({ client: fixture.client(), serializer: JSON });
    const id = newId();
    await store.set(id, sessionWith({ name: 'ada' }));
    expect((await store.get(id))?.name).toBe('ada');
    store.close();
  });
});

describe('RedisSessionStore handed a request', () => {
  it('refuses a request given as its options with LBKIT_SESSION_FACTORY_NOT_CALLED, not a store that fails later', async () => {
    const server = createServer((req, res) => {
      res.end(failure(() => new RedisSessionStore(req as never)).code);
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(await answer.text()).toBe('LBKIT_SESSION_FACTORY_NOT_CALLED');
    server.close();
  });
});
