import { parseArgs } from 'node:util';
import { ConfigError } from '@qsmo/service-kit/errors';
import { createLogger } from '@qsmo/service-kit/logger';
import { readUsageCliConfig, type UsageCliConfig } from './command-config';
import { openRegistry } from './config';
import { dayOf, FieldUsageStore } from './usage';

/**
 * `npm run schema:usage -- <Type.field> [...] [--days N]`: who selected a
 * field of the graph, by client, within the usage window, as the gateways
 * recorded it in the registry. Exit 0 with the table (or "no client"), 2
 * for a malformed coordinate or setting.
 */
const USAGE = `Usage: npm run schema:usage -- <Type.field> [<Type.field> ...] [--days N]

  <Type.field>   a schema coordinate as clients see it, e.g. GrantsManagementOffering.name
  --days N       how far back to look (default: $USAGE_WINDOW_DAYS, else 30)

Registry: REGISTRY_MONGODB_URI (default MONGODB_URI, else the embedded database), REGISTRY_DATABASE (default qsmo_registry).`;

const COORDINATE = /^[_A-Za-z]\w*\.[_A-Za-z]\w*$/;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

void (async () => {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: { days: { type: 'string' }, help: { type: 'boolean', default: false } },
    });
  } catch (error) {
    fail((error as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const coordinates = parsed.positionals;
  if (coordinates.length === 0) fail('Name at least one field, e.g. GrantsManagementOffering.name.');
  const bad = coordinates.find((c) => !COORDINATE.test(c));
  if (bad) fail(`"${bad}" is not a schema coordinate: write Type.field, e.g. GrantsManagementOffering.name.`);
  let config: UsageCliConfig;
  try {
    config = readUsageCliConfig(process.env, parsed.values.days);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message.replace('USAGE_WINDOW_DAYS', '--days (USAGE_WINDOW_DAYS)'));
    throw error;
  }
  const days = config.windowDays;
  const logger = createLogger('schema-usage', config.logLevel);
  // On stderr, with the log: stdout is the table.
  for (const warning of config.warnings) logger.warn(warning);
  const open = await openRegistry(config.registry, logger, 'schema-usage');
  try {
    const store = new FieldUsageStore(open.registry.db);
    const index = await store.index(coordinates, days);
    const since = index.recordingSince
      ? `recorded since ${dayOf(index.recordingSince)}`
      : 'nothing recorded yet (gateways record usage when they follow the registry)';
    process.stdout.write(`Field usage in the last ${days} days (${since}):\n`);
    for (const coordinate of coordinates) {
      const uses = index.uses.get(coordinate) ?? [];
      if (uses.length === 0) {
        process.stdout.write(`${coordinate}: no client\n`);
        continue;
      }
      process.stdout.write(`${coordinate}: ${uses.length} client${uses.length === 1 ? '' : 's'}\n`);
      const width = Math.max(6, ...uses.map((u) => u.client.length));
      process.stdout.write(`  ${'client'.padEnd(width)}  ${'operations'.padStart(10)}  last used\n`);
      for (const u of uses) process.stdout.write(`  ${u.client.padEnd(width)}  ${String(u.count).padStart(10)}  ${u.lastSeenAt.toISOString()}\n`);
    }
  } finally {
    await open.close();
  }
})().catch((error: unknown) => {
  process.stderr.write(`schema:usage: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
