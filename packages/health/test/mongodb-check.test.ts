// mongodbCheck: no MongoDB server here, so a MongoClient subclass stands in for the server's answer,
// and the real driver is pointed at a closed port for the failure.
import { Lifecycle } from '@lbkit/core';
import { createHealth, type Health, mongodbCheck } from '@lbkit/health';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/ports.js';

function healthWith(client: object, options: Parameters<typeof mongodbCheck>[1] = {}): Health {
  const lifecycle = new Lifecycle();
  lifecycle.markReady();
  return createHealth({ lifecycle, cacheMs: 0, checks: [mongodbCheck(client, options)] });
}

/** A MongoClient whose admin database answers `ping` like a server would, and records the call. */
class AnsweringClient extends MongoClient {
  readonly calls: Array<{ db: string; command: unknown }> = [];
  override db(name?: string) {
    return {
      command: async (command: unknown) => {
        this.calls.push({ db: name ?? '', command });
        return { ok: 1 };
      },
    } as never;
  }
}

describe('mongodbCheck', () => {
  it('sends { ping: 1 } to the admin database and passes on the answer', async () => {
    const client = new AnsweringClient('mongodb://127.0.0.1:1');
    const health = healthWith(client);
    const report = await health.report('readiness');
    expect(report.status).toBe('pass');
    expect(report.checks?.['mongodb:responseTime']?.[0]).toMatchObject({
      componentType: 'datastore',
      observedUnit: 'ms',
    });
    expect(client.calls).toEqual([{ db: 'admin', command: { ping: 1 } }]);
    await health.close();
  });

  it('fails with the driver error when no server answers', async () => {
    const port = await freePort();
    const client = new MongoClient(
      `mongodb://127.0.0.1:${port}/?serverSelectionTimeoutMS=300&connectTimeoutMS=300`,
    );
    const health = healthWith(client, { timeoutMs: 3000 });
    const report = await health.report('readiness');
    expect(report.status).toBe('fail');
    expect(report.checks?.['mongodb:responseTime']?.[0]?.output).toMatch(
      /ECONNREFUSED|Server selection timed out/,
    );
    await health.close();
    await client.close();
  });

  it('fails at its own timeout when the driver waits longer', async () => {
    const port = await freePort();
    const client = new MongoClient(`mongodb://127.0.0.1:${port}/?serverSelectionTimeoutMS=30000`);
    const health = healthWith(client, { timeoutMs: 200 });
    const report = await health.report('readiness');
    expect(report.checks?.['mongodb:responseTime']?.[0]?.output).toBe('timed out after 200 ms');
    await health.close();
    await client.close();
  });
});
