// mysqlCheck against MariaDB on 127.0.0.1:3306 (when reachable): promise and callback APIs, pools and connections.
import { Lifecycle } from '@lbkit/core';
import { createHealth, type Health, type HealthCheck, mysqlCheck } from '@lbkit/health';
import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/ports.js';
import { requireService } from '../../../test/helpers/services.js';

const server = { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' };

async function mariadbAnswers(): Promise<boolean> {
  try {
    const connection = await mysqlPromise.createConnection({ ...server, connectTimeout: 2000 });
    await connection.query('SELECT 1');
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

function healthWith(check: HealthCheck): Health {
  const lifecycle = new Lifecycle();
  lifecycle.markReady();
  return createHealth({ lifecycle, cacheMs: 0, checks: [check] });
}

async function entryOf(health: Health) {
  const report = await health.report('readiness');
  return { status: report.status, entry: report.checks?.['mysql:responseTime']?.[0] };
}

describe.runIf(
  requireService(
    'MariaDB/MySQL on 127.0.0.1:3306',
    await mariadbAnswers(),
    'start MariaDB (root, empty password, database test)',
  ),
)('mysqlCheck with a real MariaDB', () => {
  it('passes through a mysql2/promise pool', async () => {
    const pool = mysqlPromise.createPool({ ...server, connectionLimit: 1 });
    const health = healthWith(mysqlCheck(pool));
    const { status, entry } = await entryOf(health);
    expect(status).toBe('pass');
    expect(entry).toMatchObject({ componentType: 'datastore', observedUnit: 'ms' });
    await health.close();
    await pool.end();
  });

  it('passes through a mysql2/promise connection', async () => {
    const connection = await mysqlPromise.createConnection(server);
    const health = healthWith(mysqlCheck(connection));
    expect((await entryOf(health)).status).toBe('pass');
    await health.close();
    await connection.end();
  });

  it('passes through callback-API pools and connections', async () => {
    const pool = mysql.createPool({ ...server, connectionLimit: 1 });
    const connection = mysql.createConnection(server);
    const health = healthWith(mysqlCheck(pool));
    const viaConnection = healthWith(mysqlCheck(connection));
    expect((await entryOf(health)).status).toBe('pass');
    expect((await entryOf(viaConnection)).status).toBe('pass');
    await health.close();
    await viaConnection.close();
    await new Promise((resolve) => pool.end(resolve));
    await new Promise((resolve) => connection.end(resolve));
  });

  it('fails when the connection has been closed', async () => {
    const connection = await mysqlPromise.createConnection(server);
    await connection.end();
    const health = healthWith(mysqlCheck(connection));
    const { status, entry } = await entryOf(health);
    expect(status).toBe('fail');
    expect(entry?.output).toMatch(/closed state/);
    await health.close();
  });

  it('fails against a port where nothing listens', async () => {
    const port = await freePort();
    const pool = mysqlPromise.createPool({ ...server, port, connectionLimit: 1 });
    const health = healthWith(mysqlCheck(pool, { timeoutMs: 3000 }));
    const { status, entry } = await entryOf(health);
    expect(status).toBe('fail');
    expect(entry?.output).toMatch(/ECONNREFUSED/);
    await health.close();
    await pool.end();
  });
});
