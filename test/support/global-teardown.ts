import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__QSMO_TEST_DB__;
  if (!state) return;
  await state.db.stop();
  fs.rmSync(state.dir, { recursive: true, force: true });
}
