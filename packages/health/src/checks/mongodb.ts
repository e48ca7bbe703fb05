// mongodbCheck(): the `ping` command through the application's MongoClient.
import type { HealthCheck, MongodbCheckOptions } from '../types.js';
import { isInstanceOfNamed, requireObject, unrecognisedClient } from './client-class.js';
import { checkOptions, roundTrip, withSettings } from './settings.js';

interface MongoDbLike {
  command(command: { ping: 1 }): Promise<unknown>;
}

const HINT = 'Pass the MongoClient instance from the mongodb driver (new MongoClient(url)).';

/** A MongoDB check (`mongodb:responseTime`, critical, `datastore`): `db('admin').command({ ping: 1 })`. */
export function mongodbCheck(client: object, options: MongodbCheckOptions = {}): HealthCheck {
  const reader = checkOptions<MongodbCheckOptions>('mongodbCheck', options);
  const build = withSettings(reader, {
    name: 'mongodb:responseTime',
    critical: true,
    componentType: 'datastore',
  });
  const target = requireObject(client, 'mongodbCheck', 'a MongoClient', HINT);
  if (!isInstanceOfNamed(target, ['MongoClient']) || typeof (target as { db?: unknown }).db !== 'function') {
    throw unrecognisedClient('mongodbCheck', 'a MongoClient', HINT);
  }
  const mongo = target as { db(name: string): MongoDbLike };
  return build(roundTrip(() => mongo.db('admin').command({ ping: 1 })));
}
