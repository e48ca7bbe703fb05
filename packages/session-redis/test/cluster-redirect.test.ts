// Issue #19: a Cluster redirection reaching the store (MOVED, as an auto-pipelined batch hands it back) is resent once, then a 503 and `unavailable`, never a 500.
import { RedisSessionStore, type SessionStoreError } from '@lbkit/session-redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasRedisCluster,
  type PrivateRedisCluster,
  startRedisCluster,
} from '../../../test/helpers/redis-cluster.js';
import { newId, sessionWith } from './harness.js';

describe.runIf(hasRedisCluster())('a MOVED reply', () => {
  let cluster: PrivateRedisCluster;
  let node: Redis;

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    // A plain connection to one master: every key of another master's slots answers MOVED, the
    // reply a Cluster client hands back from a mixed auto-pipelined batch during a failover.
    node = new Redis(cluster.nodes[0]!.port, cluster.nodes[0]!.host, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    node?.disconnect();
    await cluster?.close();
  });

  /** A session id whose slot another master owns. */
  async function elsewhere(): Promise<string> {
    for (;;) {
      const id = newId();
      const moved = await node.exists(`sess:{${id}}`).then(
        () => false,
        (error: Error) => error.message.startsWith('MOVED'),
      );
      if (moved) return id;
    }
  }

  it('is sent once more within the deadline, then fails with LBKIT_SESSION_REDIS_UNAVAILABLE (503) and emits unavailable', async () => {
    const store = new RedisSessionStore({ client: node, commandTimeoutMs: 1000 });
    const unavailable: SessionStoreError[] = [];
    store.on('unavailable', (error) => unavailable.push(error as SessionStoreError));
    let sent = 0;
    const evalsha = node.evalsha.bind(node);
    node.evalsha = ((...args: Parameters<typeof evalsha>) => {
      sent++;
      return evalsha(...args);
    }) as typeof node.evalsha;
    try {
      const failure = await store.set(await elsewhere(), sessionWith({ a: 1 })).catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: 'LBKIT_SESSION_REDIS_UNAVAILABLE', statusCode: 503 });
      expect((failure as Error).message).toContain('MOVED');
      expect(sent).toBe(2);
      expect(unavailable.map((e) => e.code)).toEqual(['LBKIT_SESSION_REDIS_UNAVAILABLE']);
    } finally {
      store.close();
    }
  });
});
