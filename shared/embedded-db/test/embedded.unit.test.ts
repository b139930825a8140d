import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@qsmo/service-kit/logger';
import { EmbeddedDatabaseUnavailable, ensureFerretDb } from '@qsmo/embedded-db/ferretdb';

test('without Go and without a built FerretDB, start-up names the three ways on', async () => {
  const tools = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-no-go-'));
  const savedPath = process.env.PATH;
  process.env.PATH = tools; // a PATH with no `go` on it
  try {
    const failure = ensureFerretDb(tools, createLogger('test', 'silent'));
    await expect(failure).rejects.toThrow(EmbeddedDatabaseUnavailable);
    await expect(failure).rejects.toThrow(/MONGODB_URI[\s\S]*docker compose up[\s\S]*install Go/);
  } finally {
    process.env.PATH = savedPath;
    fs.rmSync(tools, { recursive: true, force: true });
  }
});
