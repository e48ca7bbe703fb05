// postgresCheck(): a round trip through the application's pg Pool or Client.
import type { HealthCheck, PostgresCheckOptions } from '../types.js';
import { requireObject, unrecognisedClient } from './client-class.js';
import { checkOptions, query, roundTrip, withSettings } from './settings.js';

interface PgQueryable {
  query(text: string): Promise<unknown>;
}

const HINT = 'Pass a pg Pool (new pg.Pool(...)) or a connected pg Client (new pg.Client(...)).';

/**
 * A PostgreSQL check (`postgres:responseTime`, critical, `datastore`) running `SELECT 1` (or
 * `options.query`). pg cannot cancel a query from the client side: a timed-out query keeps its
 * connection until the server answers, and no new run starts meanwhile (see the README), so set the
 * pool's `connectionTimeoutMillis` and the server's `statement_timeout` to bound it.
 */
export function postgresCheck(client: object, options: PostgresCheckOptions = {}): HealthCheck {
  const reader = checkOptions<PostgresCheckOptions>('postgresCheck', options, ['query']);
  const sql = query(reader, 'SELECT 1');
  const build = withSettings(reader, {
    name: 'postgres:responseTime',
    critical: true,
    componentType: 'datastore',
  });
  const target = requireObject(client, 'postgresCheck', 'a pg Pool or Client', HINT);
  const own = target as Record<string, unknown>;
  // pg.Pool keeps counters of its clients; pg.Client keeps its parsed connection parameters.
  const isPool = typeof own.totalCount === 'number' && typeof own.idleCount === 'number';
  const isClient = typeof own.connectionParameters === 'object' && own.connectionParameters !== null;
  if ((!isPool && !isClient) || typeof own.query !== 'function') {
    throw unrecognisedClient('postgresCheck', 'a pg Pool or Client', HINT);
  }
  const pg = target as PgQueryable;
  return build(roundTrip(() => pg.query(sql)));
}
