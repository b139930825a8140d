import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@qsmo/service-kit/logger';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { ensureFerretDb, startFerretDb, type EmbeddedDatabase } from '@qsmo/embedded-db/ferretdb';

/**
 * One database server for the whole test run. With MONGODB_URI set, tests use
 * that server; otherwise a FerretDB of its own on a free port with its data
 * in a fresh temporary directory, so tests never touch a developer's data and
 * can run while `npm start` is up.
 */
declare global {
  // eslint-disable-next-line no-var
  var __QSMO_TEST_DB__: { db: EmbeddedDatabase; dir: string } | undefined;
}

export default async function globalSetup(): Promise<void> {
  process.env.APOLLO_TELEMETRY_DISABLED = '1';
  if (process.env.MONGODB_URI) {
    process.env.QSMO_TEST_MONGODB_URI = process.env.MONGODB_URI;
    return;
  }
  const logger = createLogger('test-db', 'warn');
  const binary = await ensureFerretDb(path.join(REPO_ROOT, '.tools'), logger);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-test-db-'));
  const db = await startFerretDb({ binary, dataDir: dir, port: 0, logger });
  globalThis.__QSMO_TEST_DB__ = { db, dir };
  process.env.QSMO_TEST_MONGODB_URI = db.uri;
}
