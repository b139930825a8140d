import type { MongoClient } from 'mongodb';
import type { EnvReader } from '@qsmo/service-kit/config';
import { openDatabase, readDatabaseConfig, type DatabaseConfig, type DatabaseHandle } from '@qsmo/service-kit/database';
import type { Logger } from '@qsmo/service-kit/logger';
import { connectMongo, createMongoClient } from '@qsmo/service-kit/mongo';
import { DEFAULT_REGISTRY_DATABASE, SchemaRegistry } from './store';

/**
 * Where the schema registry lives: REGISTRY_MONGODB_URI, else the services'
 * MONGODB_URI, else the embedded database; in the database named by
 * REGISTRY_DATABASE (qsmo_registry by default), apart from any subgraph's data.
 */
export interface RegistryConfig {
  database: DatabaseConfig;
  databaseName: string;
}

export function readRegistryConfig(env: EnvReader): RegistryConfig {
  const uri = env.mongoUri('REGISTRY_MONGODB_URI');
  return {
    database: uri ? { kind: 'external', uri } : readDatabaseConfig(env),
    databaseName: env.databaseName('REGISTRY_DATABASE', DEFAULT_REGISTRY_DATABASE),
  };
}

export interface OpenRegistry {
  registry: SchemaRegistry;
  client: MongoClient;
  /** Closes the client, then stops the embedded database if this process started it. */
  close(): Promise<void>;
}

/** Connects to the registry, starting the embedded database if that is where it lives. */
export async function openRegistry(config: RegistryConfig, logger: Logger, appName: string): Promise<OpenRegistry> {
  const database: DatabaseHandle = await openDatabase(config.database, logger);
  const client = createMongoClient(database.uri, { appName });
  try {
    await connectMongo(client, logger, `the schema registry (${config.databaseName})`);
  } catch (error) {
    await client.close().catch(() => undefined);
    await database.stop().catch(() => undefined);
    throw error;
  }
  return {
    registry: new SchemaRegistry(client.db(config.databaseName)),
    client,
    async close() {
      await client.close();
      await database.stop();
    },
  };
}
