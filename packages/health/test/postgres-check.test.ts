// postgresCheck against the real PostgreSQL (fresh database), a closed port, a silent server and a killed backend.
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { createHealth, type Health, type HealthCheck, postgresCheck } from '@lbkit/health';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/ports.js';
import {
  type FreshDatabase,
  freshDatabase,
  hasPostgres,
  postgresAdminUrl,
} from '../../../test/helpers/postgres.js';

function healthWith(check: HealthCheck): Health {
  const lifecycle = new Lifecycle();
  lifecycle.markReady();
  return createHealth({ lifecycle, cacheMs: 0, checks: [check] });
}

async function entryOf(health: Health) {
  const report = await health.report('readiness');
  return { status: report.status, entry: Object.values(report.checks ?? {}).at(-1)?.[0] };
}

/** A TCP server that accepts connections and never says a word: a hung database. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.runIf(await hasPostgres())('postgresCheck with a real PostgreSQL', () => {
  let database: FreshDatabase;

  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('passes through a pg Pool with the round trip in ms', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    const health = healthWith(postgresCheck(pool));
    const { status, entry } = await entryOf(health);
    expect(status).toBe('pass');
    expect(entry).toMatchObject({ componentType: 'datastore', status: 'pass', observedUnit: 'ms' });
    expect(typeof entry?.observedValue).toBe('number');
    await health.close();
    await pool.end();
  });

  it('passes through a connected pg Client, with a custom query', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const health = healthWith(
      postgresCheck(client, { name: 'orders-db:responseTime', query: 'SELECT now()' }),
    );
    const report = await health.report('readiness');
    expect(report.checks?.['orders-db:responseTime']?.[0]?.status).toBe('pass');
    await health.close();
    await client.end();
  });

  it('fails with the driver error against a port where nothing listens', async () => {
    const port = await freePort();
    const pool = new pg.Pool({
      connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres`,
      max: 1,
    });
    pool.on('error', () => {});
    const health = healthWith(postgresCheck(pool, { timeoutMs: 2000 }));
    const { status, entry } = await entryOf(health);
    expect(status).toBe('fail');
    expect(entry?.output).toMatch(/ECONNREFUSED/);
    await health.close();
    await pool.end();
  });

  it('fails at its timeout against a server that accepts and never answers', async () => {
    const silent = await silentServer();
    const pool = new pg.Pool({
      connectionString: `postgresql://postgres@127.0.0.1:${silent.port}/postgres`,
      max: 1,
    });
    pool.on('error', () => {});
    const health = healthWith(postgresCheck(pool, { timeoutMs: 300 }));
    const started = Date.now();
    const { status, entry } = await entryOf(health);
    const elapsed = Date.now() - started;
    expect(status).toBe('fail');
    expect(entry?.output).toBe('timed out after 300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(400);
    await health.close();
    await silent.close();
    await pool.end().catch(() => {});
  });

  it('fails once the server terminates the backend of a Client (a server-side stop of the connection)', async () => {
    const client = new pg.Client({ connectionString: database.url });
    client.on('error', () => {});
    await client.connect();
    const health = healthWith(postgresCheck(client));
    expect((await entryOf(health)).status).toBe('pass');
    const pid = ((await client.query('select pg_backend_pid() as pid')).rows[0] as { pid: number }).pid;
    const admin = new pg.Client({ connectionString: postgresAdminUrl });
    await admin.connect();
    await admin.query('select pg_terminate_backend($1)', [pid]);
    await admin.end();
    const { status, entry } = await entryOf(health);
    expect(status).toBe('fail');
    expect(entry?.output).toMatch(/terminat|closed|not queryable/i);
    await health.close();
    await client.end().catch(() => {});
  });

  it('fails when the database it points at no longer exists', async () => {
    const gone = await freshDatabase();
    await gone.drop();
    const pool = new pg.Pool({ connectionString: gone.url, max: 1 });
    pool.on('error', () => {});
    const health = healthWith(postgresCheck(pool));
    const { status, entry } = await entryOf(health);
    expect(status).toBe('fail');
    expect(entry?.output).toMatch(/does not exist/);
    await health.close();
    await pool.end();
  });
});
