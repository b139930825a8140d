import { createLogger } from '@qsmo/service-kit/logger';
import { createMongoClient } from '@qsmo/service-kit/mongo';
import { createServer } from '../../subgraphs/grants-management/src/server';

/**
 * The Grants subgraph as a child process for the crash test: on the
 * database CRASH_DB of CRASH_MONGODB_URI, accepting only the gateway's
 * signature (CRASH_SECRET), it finishes interrupted changes at start-up as
 * the entry point does. With CRASH_PAUSE_AT set it stops inside a write
 * after that step, says so on stdout and waits to be killed.
 */
async function main(): Promise<void> {
  const client = createMongoClient(process.env.CRASH_MONGODB_URI!, { appName: 'crash-test' });
  await client.connect();
  const pauseAt = process.env.CRASH_PAUSE_AT;
  const server = createServer({
    db: client.db(process.env.CRASH_DB!),
    logger: createLogger('grants-management', 'silent'),
    gatewaySignature: { secret: process.env.CRASH_SECRET!, required: true },
    writeHooks: {
      async afterStep(step) {
        if (step !== pauseAt) return;
        process.stdout.write(`PAUSED ${step}\n`);
        await new Promise(() => undefined);
      },
    },
  });
  const recovered = await server.catalog.recover();
  const url = await server.http.listen(0, '127.0.0.1');
  process.stdout.write(`READY ${url} recovered=${recovered}\n`);
}

void main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
