// A PostgreSQL connection with a fresh database per run: DATABASE_URL, else the local server.
import pg from 'pg';
import { requireService } from './services.js';

/** Where the admin connection goes: DATABASE_URL, else the local server as the postgres user. */
export const postgresAdminUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** True when PostgreSQL answers; prints a reason (or throws under CI) otherwise. */
export async function hasPostgres(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 3000 });
  let ok = false;
  try {
    await client.connect();
    await client.query('select 1');
    ok = true;
  } catch {
    ok = false;
  } finally {
    await client.end().catch(() => {});
  }
  return requireService('PostgreSQL', ok, `start PostgreSQL or set DATABASE_URL (tried ${postgresAdminUrl})`);
}

/** A database created for one test file and dropped by `drop()`. */
export interface FreshDatabase {
  /** Connection string of the fresh database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database (terminating connections left open). */
  drop(): Promise<void>;
}

/** Creates an empty database with a unique name on the admin server. */
export async function freshDatabase(): Promise<FreshDatabase> {
  const name = `lbkit_test_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: postgresAdminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
