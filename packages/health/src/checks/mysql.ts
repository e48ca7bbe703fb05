// mysqlCheck(): a round trip through the application's mysql2 pool or connection (promise or callback API).
import type { HealthCheck, MysqlCheckOptions } from '../types.js';
import { isInstanceOfNamed, requireObject, unrecognisedClient } from './client-class.js';
import { checkOptions, query, roundTrip, withSettings } from './settings.js';

interface MysqlPromiseQueryable {
  query(sql: string): Promise<unknown>;
}

const PROMISE_CLASSES = ['PromisePool', 'PromiseConnection', 'PromisePoolConnection'];
const CALLBACK_CLASSES = ['Pool', 'PoolConnection', 'Connection', 'BaseConnection'];
const HINT =
  'Pass a mysql2 pool or connection: mysql.createPool(...), mysql.createConnection(...), or their mysql2/promise versions.';

/** A MySQL/MariaDB check (`mysql:responseTime`, critical, `datastore`) running `SELECT 1` (or `options.query`). */
export function mysqlCheck(client: object, options: MysqlCheckOptions = {}): HealthCheck {
  const reader = checkOptions<MysqlCheckOptions>('mysqlCheck', options, ['query']);
  const sql = query(reader, 'SELECT 1');
  const build = withSettings(reader, {
    name: 'mysql:responseTime',
    critical: true,
    componentType: 'datastore',
  });
  const target = requireObject(client, 'mysqlCheck', 'a mysql2 pool or connection', HINT);
  const queryable = promiseApi(target);
  return build(roundTrip(() => queryable.query(sql)));
}

/** The promise API of a mysql2 object: itself, or the wrapper its `promise()` builds over the same pool. */
function promiseApi(client: object): MysqlPromiseQueryable {
  const own = client as Record<string, unknown>;
  if (isInstanceOfNamed(client, PROMISE_CLASSES) && typeof own.query === 'function') {
    return client as MysqlPromiseQueryable;
  }
  if (isInstanceOfNamed(client, CALLBACK_CLASSES) && typeof own.promise === 'function') {
    return (client as { promise(): MysqlPromiseQueryable }).promise();
  }
  throw unrecognisedClient('mysqlCheck', 'a mysql2 pool or connection', HINT);
}
