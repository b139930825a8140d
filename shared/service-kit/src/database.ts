import path from 'node:path';
import { REPO_ROOT, type EnvReader } from './config';
import type { Logger } from './logger';

/**
 * Where a service's data lives: an external MongoDB (production, docker
 * compose, Atlas) or the embedded FerretDB the project builds and runs itself.
 */
export type DatabaseConfig = { kind: 'external'; uri: string } | { kind: 'embedded'; dataDir: string; toolsDir: string; port: number };

/** Default port of the embedded database: not 27017, so it never collides with a real MongoDB. */
export const EMBEDDED_DEFAULT_PORT = 27217;

export function readDatabaseConfig(env: EnvReader): DatabaseConfig {
  const uri = env.mongoUri('MONGODB_URI');
  if (uri) return { kind: 'external', uri };
  return {
    kind: 'embedded',
    dataDir: path.resolve(env.string('EMBEDDED_DB_DIR', path.join(REPO_ROOT, '.data', 'ferretdb'))),
    toolsDir: path.resolve(env.string('TOOLS_DIR', path.join(REPO_ROOT, '.tools'))),
    port: env.port('EMBEDDED_DB_PORT', EMBEDDED_DEFAULT_PORT),
  };
}

export interface DatabaseHandle {
  uri: string;
  /** Stops the embedded database if this process started it; a no-op otherwise. */
  stop(): Promise<void>;
}

/** Resolves the config to a reachable URI, building and starting the embedded database if needed. */
export async function openDatabase(config: DatabaseConfig, logger: Logger): Promise<DatabaseHandle> {
  if (config.kind === 'external') return { uri: config.uri, stop: async () => undefined };
  // Loaded only here: a service on a real MongoDB never loads the embedded database's launcher and builder.
  const { ensureFerretDb, startFerretDb } = await import('@qsmo/embedded-db/ferretdb');
  const binary = await ensureFerretDb(config.toolsDir, logger);
  const db = await startFerretDb({ binary, dataDir: config.dataDir, port: config.port, logger, reuse: true });
  if (db.owned) logger.info(`embedded database (FerretDB, SQLite under ${path.relative(process.cwd(), config.dataDir) || '.'}) at ${db.uri}`);
  return db;
}
